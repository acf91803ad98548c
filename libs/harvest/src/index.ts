export * from './record-harvest.dto.js';
export * from './harvest-rules.js';
export * from './harvest.service.js';
export * from './harvest.module.js';
