export * from './investigations.repository.js';
export * from './investigations.service.js';
export * from './investigations.module.js';
