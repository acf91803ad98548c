export * from './canonical.js';
export * from './e-signatures.service.js';
export * from './meanings.js';
export * from './signatures.controller.js';
export * from './signatures.module.js';
export * from './signed-records.js';
