export * from './step-rules.js';
export * from './isolation.dto.js';
export * from './reagents.service.js';
export * from './isolation.service.js';
export * from './batch-summary.job.js';
export * from './isolation.module.js';
