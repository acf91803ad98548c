export * from './audit-trail.js';
export * from './audit.module.js';
export * from './audit-queries.service.js';
export * from './audit-query.dto.js';
export * from './audit.controller.js';
export * from './csv.js';
