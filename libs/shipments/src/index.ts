export * from './shipments.dto.js';
export * from './shipments.service.js';
export * from './shipments.controller.js';
export * from './shipments.module.js';
