import { Foundation1764000000000 } from './1764000000000-foundation.js';

/** Every migration in order; the only source of the schema. */
export const MIGRATIONS = [Foundation1764000000000];
