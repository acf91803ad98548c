export * from './rna-profiling.module.js';
