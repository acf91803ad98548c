export * from './checklist.js';
export * from './checklist-contributors.js';
export * from './checklist.repository.js';
export * from './lot-number.js';
export * from './release-gate.job.js';
export * from './release.service.js';
export * from './certificate.service.js';
export * from './release.module.js';
