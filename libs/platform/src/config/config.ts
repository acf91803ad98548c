import { createPrivateKey } from 'node:crypto';
import path from 'node:path';

/** Runtime configuration, read once from the environment and validated at boot. */
export interface AppConfig {
  env: 'development' | 'test' | 'production';
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  logLevel: string;
  /** Max pool connections per process for the application database. */
  dbPoolSize: number;
  /** Longest wait for one application-database query in an API process, ms (DB_QUERY_TIMEOUT_MS). */
  dbQueryTimeoutMs: number;
  /** The same in a process that runs workers: jobs such as excursion detection legitimately run long (WORKER_DB_QUERY_TIMEOUT_MS). */
  workerDbQueryTimeoutMs: number;
  /** Relay poll interval for the outbox, milliseconds. */
  outboxPollMs: number;
  queuePrefix: string;
  lockout: { maxFailures: number; lockMinutes: number };
  sessionTtlMinutes: number;
  admin: { email: string | undefined; password: string | undefined; name: string | undefined };
  /** Largest instrument file or image upload accepted, in bytes (INSTRUMENT_MAX_BYTES). */
  instrumentMaxBytes: number;
  /** Base of public links printed on labels (GS1 Digital Link), PUBLIC_BASE_URL. */
  publicBaseUrl: string;
  /** How often the cold-chain scan looks for silent loggers, milliseconds (COLD_CHAIN_SCAN_MS). */
  coldChainScanMs: number;
  /** Lot number format: tokens {YYYY} {YY} {MM} {DD} {PRODUCT} {SEQ:n}; at most 20 characters (GS1 AI 10). */
  lotNumberFormat: string;
  /** How long a worker holds a job lock; a killed worker's job is retried after about this long. */
  queueLockMs: number;
  /** Requests per minute per client address, by rate-limit rule name. */
  rateLimits: Record<string, number>;
  workerConcurrency: number;
  /** How long a worker waits after a queue connection error before polling again, ms (WORKER_RETRY_DELAY_MS). */
  workerRetryDelayMs: number;
  /** Browser origins allowed to call the API cross-origin (CORS_ORIGINS, comma-separated); empty means CORS is off. */
  corsOrigins: string[];
  /** The Ed25519 private key (PKCS#8 PEM) that signs lookup answers (VERIFY_SIGNING_KEY); required in production. */
  verifySigningKey: string | undefined;
  /** How long an Idempotency-Key and its stored answer are kept, hours (IDEMPOTENCY_TTL_HOURS). */
  idempotencyTtlHours: number;
}

export const DEFAULT_INSTRUMENT_MAX_BYTES = 64 * 1024 * 1024;
/** bytea comes back from PostgreSQL as hex text: twice the size must stay under V8's string limit. */
const INSTRUMENT_MAX_BYTES_CEILING = 200 * 1024 * 1024;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function readInt(env: Env, key: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${key} must be an integer from ${min} to ${max} (got "${raw}")`);
    return fallback;
  }
  return value;
}

function readUrl(env: Env, key: string, protocols: string[], problems: string[]): string | undefined {
  const raw = env[key];
  if (raw === undefined || raw === '') return undefined;
  try {
    const url = new URL(raw);
    if (!protocols.includes(url.protocol)) {
      problems.push(`${key} must use ${protocols.join(' or ')} (got "${url.protocol}")`);
    }
  } catch {
    problems.push(`${key} is not a valid URL`);
  }
  return raw;
}

/** CORS_ORIGINS: exact origins (scheme://host[:port]), comma-separated; "*" is refused (credentials are bearer tokens). */
function readOrigins(env: Env, key: string, problems: string[]): string[] {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return [];
  const origins: string[] = [];
  for (const entry of raw.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    let origin: string | undefined;
    try {
      const url = new URL(entry);
      if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin === entry.replace(/\/$/, '')) origin = url.origin;
    } catch {
      origin = undefined;
    }
    if (origin) origins.push(origin);
    else problems.push(`${key} must list origins like https://lab.example.org (scheme, host and optional port; no path, no "*") (got "${entry}")`);
  }
  return [...new Set(origins)];
}

/** VERIFY_SIGNING_KEY: a PKCS#8 PEM, or that PEM base64-encoded (one line, for container secrets); must be Ed25519. */
function readSigningKey(env: Env, key: string, problems: string[]): string | undefined {
  const raw = env[key]?.trim();
  if (!raw) return undefined;
  const pem = (raw.includes('BEGIN') ? raw : Buffer.from(raw, 'base64').toString('utf8')).trim();
  try {
    const parsed = createPrivateKey(pem);
    if (parsed.asymmetricKeyType === 'ed25519') return pem;
    problems.push(`${key} must be an Ed25519 private key (got a ${parsed.asymmetricKeyType} key)`);
  } catch {
    problems.push(`${key} must be an Ed25519 private key as PKCS#8 PEM, or that PEM base64-encoded (it could not be read)`);
  }
  return undefined;
}

export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const rawEnv = env.NODE_ENV ?? 'development';
  if (!['development', 'test', 'production'].includes(rawEnv)) {
    problems.push(`NODE_ENV must be development, test or production (got "${rawEnv}")`);
  }
  const config: AppConfig = {
    env: (['development', 'test', 'production'].includes(rawEnv) ? rawEnv : 'development') as AppConfig['env'],
    port: readInt(env, 'PORT', 3000, 0, 65535, problems),
    host: env.HOST || '127.0.0.1',
    dataDir: path.resolve(env.DATA_DIR || './data'),
    databaseUrl: readUrl(env, 'DATABASE_URL', ['postgres:', 'postgresql:'], problems),
    redisUrl: readUrl(env, 'REDIS_URL', ['redis:', 'rediss:'], problems),
    logLevel: env.LOG_LEVEL || 'info',
    dbPoolSize: readInt(env, 'DB_POOL_SIZE', 10, 1, 200, problems),
    dbQueryTimeoutMs: readInt(env, 'DB_QUERY_TIMEOUT_MS', 30_000, 100, 3_600_000, problems),
    workerDbQueryTimeoutMs: readInt(env, 'WORKER_DB_QUERY_TIMEOUT_MS', 300_000, 100, 3_600_000, problems),
    outboxPollMs: readInt(env, 'OUTBOX_POLL_MS', 500, 10, 60000, problems),
    queuePrefix: env.QUEUE_PREFIX || 'exolot',
    lockout: {
      maxFailures: readInt(env, 'LOCKOUT_MAX_FAILURES', 5, 1, 100, problems),
      lockMinutes: readInt(env, 'LOCKOUT_MINUTES', 15, 1, 24 * 60, problems),
    },
    sessionTtlMinutes: readInt(env, 'SESSION_TTL_MINUTES', 480, 1, 7 * 24 * 60, problems),
    admin: { email: env.ADMIN_EMAIL || undefined, password: env.ADMIN_PASSWORD || undefined, name: env.ADMIN_NAME || undefined },
    instrumentMaxBytes: readInt(env, 'INSTRUMENT_MAX_BYTES', DEFAULT_INSTRUMENT_MAX_BYTES, 1, INSTRUMENT_MAX_BYTES_CEILING, problems),
    publicBaseUrl: (readUrl(env, 'PUBLIC_BASE_URL', ['http:', 'https:'], problems) ?? 'http://127.0.0.1:3000').replace(/\/+$/, ''),
    coldChainScanMs: readInt(env, 'COLD_CHAIN_SCAN_MS', 60_000, 200, 24 * 3600_000, problems),
    lotNumberFormat: env.LOT_NUMBER_FORMAT || 'L{YY}{MM}-{SEQ:5}',
    queueLockMs: readInt(env, 'QUEUE_LOCK_MS', 30000, 1000, 600000, problems),
    rateLimits: {
      verify: readInt(env, 'VERIFY_RATE_LIMIT_PER_MIN', 60, 1, 1_000_000, problems),
      login: readInt(env, 'LOGIN_RATE_LIMIT_PER_MIN', 20, 1, 1_000_000, problems),
    },
    workerConcurrency: readInt(env, 'WORKER_CONCURRENCY', 4, 1, 100, problems),
    workerRetryDelayMs: readInt(env, 'WORKER_RETRY_DELAY_MS', 1000, 50, 60_000, problems),
    corsOrigins: readOrigins(env, 'CORS_ORIGINS', problems),
    idempotencyTtlHours: readInt(env, 'IDEMPOTENCY_TTL_HOURS', 24, 1, 24 * 30, problems),
    verifySigningKey: readSigningKey(env, 'VERIFY_SIGNING_KEY', problems),
  };
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) {
    problems.push(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "${config.logLevel}")`);
  }
  if (!/^[a-z][a-z0-9_-]{0,30}$/.test(config.queuePrefix)) {
    problems.push('QUEUE_PREFIX must be lowercase letters, digits, _ or -, starting with a letter');
  }
  if (config.env === 'production' && !config.verifySigningKey && !env.VERIFY_SIGNING_KEY) {
    problems.push('VERIFY_SIGNING_KEY is required when NODE_ENV=production (an Ed25519 PKCS#8 PEM private key), so lookups are signed with the lab\'s published key');
  }
  if (config.env === 'production' && !config.databaseUrl) {
    problems.push('DATABASE_URL is required when NODE_ENV=production (the embedded database is for development and trials)');
  }
  if (!/\{SEQ(:\d)?\}/.test(config.lotNumberFormat) || /[^A-Za-z0-9{}:\-/.]/.test(config.lotNumberFormat)) {
    problems.push('LOT_NUMBER_FORMAT must contain {SEQ} or {SEQ:n} and only letters, digits, - / . and the tokens {YYYY} {YY} {MM} {DD} {PRODUCT}');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
