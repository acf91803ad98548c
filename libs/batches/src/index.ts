export * from './domain/batch-lifecycle.js';
export * from './batch.repository.js';
export * from './batch-lifecycle.service.js';
export * from './batch-queries.service.js';
export * from './batch-view.js';
export * from './batches.module.js';
export * from './products.js';
export * from './qc-changes.js';
