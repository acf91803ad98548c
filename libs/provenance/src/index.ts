export * from './verification-code.js';
export * from './verdict.js';
export * from './verification-key.js';
export * from './provenance.repository.js';
export * from './provenance.service.js';
export * from './recalls.service.js';
export * from './provenance.module.js';
