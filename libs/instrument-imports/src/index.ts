export * from './file-facts.js';
export * from './instrument-file.repository.js';
export * from './instrument-imports.service.js';
export * from './instrument-imports.module.js';
export * from './parsed-summary.js';
export * from './result-candidates.js';
export * from './upload-fields.dto.js';
export * from './upload-reader.js';
