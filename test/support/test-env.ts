import { generateKeyPairSync } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

/**
 * Where tests run. With DATABASE_URL/REDIS_URL set, on those servers (each test file gets its
 * own database cloned from a migrated template); without, on the embedded default (each test
 * file gets its own copy of a migrated PGlite data folder).
 */
export const testEnv = {
  databaseUrl: process.env.DATABASE_URL || undefined,
  redisUrl: process.env.REDIS_URL || undefined,
  get templateDatabase(): string {
    return process.env.EXOLOT_TEST_TEMPLATE_DB ?? 'exolot_test_template';
  },
  get templateDir(): string {
    return process.env.EXOLOT_TEST_TEMPLATE_DIR ?? path.join(os.tmpdir(), 'exolot-test-template');
  },
};

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * The lookup signing key the test apps use (one per test process), so apps do not each generate
 * and announce one; generating a key when none is configured is tested on its own
 * (libs/provenance/test/verification-key.spec.ts).
 */
export const TEST_VERIFY_SIGNING_KEY = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
