import { Foundation1764000000000 } from './1764000000000-foundation.js';
import { IdentitySignatures1764000000100 } from './1764000000100-identity-signatures.js';
import { Characterization1764000000200 } from './1764000000200-characterization.js';
import { Release1764000000300 } from './1764000000300-release.js';
import { Storage1764000000400 } from './1764000000400-storage.js';
import { Provenance1764000000500 } from './1764000000500-provenance.js';
import { LookupIndexes1764000000600 } from './1764000000600-lookup-indexes.js';
import { IdempotencyKeys1764000000700 } from './1764000000700-idempotency-keys.js';

/** Every migration in order; the only source of the schema. */
export const MIGRATIONS = [Foundation1764000000000, IdentitySignatures1764000000100, Characterization1764000000200, Release1764000000300, Storage1764000000400, Provenance1764000000500, LookupIndexes1764000000600, IdempotencyKeys1764000000700];
