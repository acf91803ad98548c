import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import { AppModule } from '../../apps/api/src/app.module.js';
import { type AppConfig, createHttpApp, createRootLogger, loadConfig, OutboxRelay, RuntimeEndpoints } from '#platform';
import { TEST_VERIFY_SIGNING_KEY, testEnv, withDatabase } from './test-env.js';

export type QueueChoice = 'default' | 'postgres' | 'redis';

export interface TestAppOptions {
  /** Run BullMQ workers in the app (default true). */
  worker?: boolean;
  /** Which queue backend: default follows REDIS_URL; 'postgres' forces BullMQ's PostgreSQL backend. */
  queue?: QueueChoice;
  env?: Record<string, string>;
  /** Use this existing PostgreSQL database as it is (e.g. one a backup was restored into); it is dropped on close. */
  databaseUrl?: string;
  /** Use this existing embedded data folder as it is (e.g. a restored copy); it is removed on close. */
  dataDir?: string;
}

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
  raw: string;
}

/** A database of the test file's own, on the real server or as an embedded copy. */
export class TestDatabase {
  private constructor(
    readonly config: AppConfig,
    private readonly cleanup: () => Promise<void>,
  ) {}

  static async create(options: TestAppOptions = {}): Promise<TestDatabase> {
    const suffix = `${process.pid}_${randomBytes(3).toString('hex')}_${Date.now().toString(36)}`;
    const queue = options.queue ?? 'default';
    // options.env.REDIS_URL (e.g. a test's own proxy in front of Redis) wins over the run's REDIS_URL.
    const redisUrl = queue === 'postgres' ? undefined : (options.env?.REDIS_URL || testEnv.redisUrl);
    if (queue === 'redis' && !redisUrl) throw new Error('REDIS_URL is not set');
    const baseEnv = { LOG_LEVEL: 'warn', VERIFY_SIGNING_KEY: TEST_VERIFY_SIGNING_KEY, OUTBOX_POLL_MS: '100', LOGIN_RATE_LIMIT_PER_MIN: '100000', VERIFY_RATE_LIMIT_PER_MIN: '100000', QUEUE_PREFIX: `t${suffix.replace(/_/g, '').slice(-12)}`, NODE_ENV: 'test', ...options.env };
    if (options.databaseUrl) {
      const existing = options.databaseUrl;
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'exolot-t-'));
      const config = loadConfig({ DATA_DIR: dataDir, ...baseEnv, DATABASE_URL: existing, ...(redisUrl ? { REDIS_URL: redisUrl } : {}) });
      return new TestDatabase(config, async () => {
        fs.rmSync(dataDir, { recursive: true, force: true });
        const drop = new pg.Client({ connectionString: withDatabase(existing, 'postgres') });
        await drop.connect();
        await drop.query(`DROP DATABASE IF EXISTS "${new URL(existing).pathname.slice(1)}" WITH (FORCE)`).catch(() => undefined);
        await drop.end();
      });
    }
    if (options.dataDir) {
      const dir = options.dataDir;
      const config = loadConfig({ ...baseEnv, DATA_DIR: dir, ...(queue === 'redis' && redisUrl ? { REDIS_URL: redisUrl } : {}) });
      return new TestDatabase(config, async () => fs.rmSync(dir, { recursive: true, force: true }));
    }
    if (testEnv.databaseUrl) {
      const name = `exolot_t_${suffix}`;
      const admin = new pg.Client({ connectionString: testEnv.databaseUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${testEnv.templateDatabase}`);
      await admin.end();
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'exolot-t-'));
      const config = loadConfig({ DATA_DIR: dataDir, ...baseEnv, DATABASE_URL: withDatabase(testEnv.databaseUrl, name), ...(redisUrl ? { REDIS_URL: redisUrl } : {}) });
      return new TestDatabase(config, async () => {
        fs.rmSync(dataDir, { recursive: true, force: true });
        const drop = new pg.Client({ connectionString: testEnv.databaseUrl });
        await drop.connect();
        await drop.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
        await drop.end();
      });
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exolot-t-'));
    fs.cpSync(testEnv.templateDir, dir, { recursive: true });
    for (const lock of fs.readdirSync(dir).filter((f) => f.endsWith('.lock'))) fs.rmSync(path.join(dir, lock));
    const config = loadConfig({ ...baseEnv, DATA_DIR: dir, ...(queue === 'redis' && redisUrl ? { REDIS_URL: redisUrl } : {}) });
    return new TestDatabase(config, async () => fs.rmSync(dir, { recursive: true, force: true }));
  }

  async drop(): Promise<void> {
    await this.cleanup();
  }
}

/** The real application (all modules, real database and queue) driven through HTTP inject. */
export class TestApp {
  private constructor(
    readonly app: NestFastifyApplication,
    readonly endpoints: RuntimeEndpoints,
    readonly database: TestDatabase,
    /** Direct SQL for assertions, on its own pool. Never use it while a request is in flight on the embedded DB. */
    readonly sql: pg.Pool,
  ) {}

  static async start(options: TestAppOptions = {}): Promise<TestApp> {
    const database = await TestDatabase.create(options);
    const endpoints = await RuntimeEndpoints.open(database.config);
    const logger = createRootLogger(database.config.logLevel);
    const app = await createHttpApp(AppModule.forRoot(database.config, endpoints, { api: true, worker: options.worker ?? true }), logger, { httpLogging: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    const sql = new pg.Pool({ connectionString: endpoints.databaseUrl, max: 2 });
    return new TestApp(app, endpoints, database, sql);
  }

  get config(): AppConfig {
    return this.database.config;
  }

  async request<T = any>(method: string, url: string, options: { body?: unknown; token?: string; headers?: Record<string, string>; payload?: Buffer | string } = {}): Promise<HttpResult<T>> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload: string | Buffer | undefined = options.payload;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const response = await this.app.getHttpAdapter().getInstance().inject({ method: method as never, url, headers, payload });
    let body: unknown = response.body;
    const type = String(response.headers['content-type'] ?? '');
    if (type.includes('json') && response.body.length > 0) body = JSON.parse(response.body);
    return { status: response.statusCode, body: body as T, headers: response.headers as never, raw: response.body };
  }

  async query<T extends pg.QueryResultRow = any>(text: string, values: unknown[] = []): Promise<T[]> {
    return (await this.sql.query<T>(text, values)).rows;
  }

  /** Moves committed outbox rows to the queue now, instead of waiting for the relay's timer. */
  async drainOutbox(): Promise<void> {
    await this.app.get(OutboxRelay).drain();
  }

  private stopped = false;

  /** Stops the app and its database connections but keeps the database (to copy or dump it stopped). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.sql.end().catch(() => undefined);
    await this.app.close();
    await this.endpoints.close();
  }

  async close(): Promise<void> {
    await this.stop();
    await this.database.drop();
  }
}

/** Polls until the check returns a value (not undefined/false) or the time runs out. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 15000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
}
