export * from './criteria.js';
export * from './default-specification.js';
export * from './criterion-rules.js';
export * from './specification.dto.js';
export * from './specification.repository.js';
export * from './specifications.service.js';
export * from './specifications.module.js';
