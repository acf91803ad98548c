export * from './assay.dto.js';
export * from './derived-values.js';
export * from './result.repository.js';
export * from './results.service.js';
export * from './characterization.module.js';
