import { generateKeyPairSync } from 'node:crypto';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { statusForCode } from '../src/errors/error-codes.js';

describe('configuration from the environment', () => {
  it('has working defaults for the embedded setup', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, host: '127.0.0.1', databaseUrl: undefined, redisUrl: undefined, lockout: { maxFailures: 5, lockMinutes: 15 } });
    expect(config.dataDir).toMatch(/data$/);
  });

  it('lists every problem at once, naming the variable', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', REDIS_URL: 'not a url', LOCKOUT_MAX_FAILURES: '0' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const text = (error as ConfigError).problems.join('\n');
      expect(text).toMatch(/PORT must be an integer/);
      expect(text).toMatch(/DATABASE_URL must use postgres/);
      expect(text).toMatch(/REDIS_URL is not a valid URL/);
      expect(text).toMatch(/LOCKOUT_MAX_FAILURES/);
    }
  });

  it('bounds database queries (longer in worker processes) and retries the queue soon after an error', () => {
    expect(loadConfig({})).toMatchObject({ dbQueryTimeoutMs: 30_000, workerDbQueryTimeoutMs: 300_000, workerRetryDelayMs: 1000 });
    expect(loadConfig({ DB_QUERY_TIMEOUT_MS: '1500', WORKER_DB_QUERY_TIMEOUT_MS: '600000', WORKER_RETRY_DELAY_MS: '250' })).toMatchObject({ dbQueryTimeoutMs: 1500, workerDbQueryTimeoutMs: 600_000, workerRetryDelayMs: 250 });
    for (const [key, value] of [['DB_QUERY_TIMEOUT_MS', '0'], ['WORKER_DB_QUERY_TIMEOUT_MS', 'forever'], ['WORKER_RETRY_DELAY_MS', '120000']]) {
      expect(() => loadConfig({ [key]: value })).toThrow(new RegExp(`${key} must be an integer`));
    }
  });

  it('requires a real database in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/DATABASE_URL is required/);
  });

  it('reads the lookup signing key as PEM or base64 PEM, refuses anything but Ed25519, and requires it in production', () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(loadConfig({ VERIFY_SIGNING_KEY: pem }).verifySigningKey).toBe(pem.trim());
    expect(loadConfig({ VERIFY_SIGNING_KEY: Buffer.from(pem).toString('base64') }).verifySigningKey).toBe(pem.trim());
    expect(loadConfig({}).verifySigningKey).toBeUndefined();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => loadConfig({ VERIFY_SIGNING_KEY: rsa })).toThrow(/VERIFY_SIGNING_KEY must be an Ed25519 private key \(got a rsa key\)/);
    expect(() => loadConfig({ VERIFY_SIGNING_KEY: 'not a key' })).toThrow(/VERIFY_SIGNING_KEY must be an Ed25519 private key as PKCS#8 PEM/);
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/exolot' })).toThrow(/VERIFY_SIGNING_KEY is required when NODE_ENV=production/);
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/exolot', VERIFY_SIGNING_KEY: pem })).not.toThrow();
  });
});

describe('error code to HTTP status', () => {
  it.each([
    ['validation.failed', 400],
    ['batch.not_found', 404],
    ['batch.wrong_state', 409],
    ['state.guard_failed', 409],
    ['reagent_lot.expired', 422],
    ['auth.locked', 423],
    ['auth.forbidden', 403],
    ['instrument.truncated', 422],
  ])('%s → %i', (code, status) => {
    expect(statusForCode(code)).toBe(status);
  });
});
