import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import { AppModule } from '../apps/api/src/app.module.js';
import { hashPassword } from '#identity';
import { type AppConfig, createHttpApp, createRootLogger, loadConfig, RuntimeEndpoints } from '#platform';

export interface HttpReply {
  status: number;
  body: any;
}

/**
 * The real application, in process, listening on 127.0.0.1: on the embedded database in a
 * temporary folder by default, or on a temporary database of DATABASE_URL's server (dropped
 * afterwards). Requests go through real HTTP (fetch, keep-alive).
 */
export class BenchApp {
  private constructor(
    readonly app: NestFastifyApplication,
    readonly endpoints: RuntimeEndpoints,
    readonly config: AppConfig,
    readonly baseUrl: string,
    private readonly cleanup: () => Promise<void>,
  ) {}

  /** `settings` are extra configuration variables (e.g. a higher rate limit for a load test). */
  static async start(settings: Record<string, string> = {}): Promise<BenchApp> {
    const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    const env: Record<string, string> = { NODE_ENV: 'test', LOG_LEVEL: 'warn', QUEUE_PREFIX: `bench${suffix.replace(/_/g, '')}`.slice(0, 30), ...settings };
    const serverUrl = process.env.DATABASE_URL || undefined;
    let cleanup: () => Promise<void>;
    if (serverUrl) {
      const name = `exolot_bench_${suffix}`;
      await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
      const url = new URL(serverUrl);
      url.pathname = `/${name}`;
      env.DATABASE_URL = url.toString();
      if (process.env.REDIS_URL) env.REDIS_URL = process.env.REDIS_URL;
      cleanup = () => adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } else {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exolot-bench-'));
      env.DATA_DIR = dir;
      cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
    }
    try {
      const config = loadConfig(env);
      const endpoints = await RuntimeEndpoints.open(config, { migrate: true });
      const app = await createHttpApp(AppModule.forRoot(config, endpoints, { api: true, worker: false }), createRootLogger(config.logLevel), { httpLogging: false });
      await app.init();
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.getHttpServer().address();
      const port = typeof address === 'object' && address ? address.port : 0;
      return new BenchApp(app, endpoints, config, `http://127.0.0.1:${port}`, cleanup);
    } catch (error) {
      await cleanup().catch(() => undefined);
      throw error;
    }
  }

  get backend(): string {
    return this.endpoints.embedded ? 'embedded PGlite' : 'PostgreSQL (DATABASE_URL, temporary database)';
  }

  async request(method: string, url: string, options: { token?: string; json?: unknown; body?: Buffer; headers?: Record<string, string> } = {}): Promise<HttpReply> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: Buffer | string | undefined = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${this.baseUrl}${url}`, { method, headers, body });
    const text = await response.text();
    return { status: response.status, body: text && /json/.test(response.headers.get('content-type') ?? '') ? JSON.parse(text) : text };
  }

  /** Like request, but anything other than the expected status stops the bench with the reply. */
  async expect(status: number, method: string, url: string, options: Parameters<BenchApp['request']>[2] = {}): Promise<any> {
    const reply = await this.request(method, url, options);
    if (reply.status !== status) throw new Error(`${method} ${url}: expected ${status}, got ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  }

  /** A user inserted directly (as the test fixtures do), signed in through the API. */
  async signIn(role: 'technician' | 'qa_manager'): Promise<{ token: string; password: string }> {
    const email = `${role}.${randomBytes(4).toString('hex')}@bench.exolot`;
    const password = `pw-${randomBytes(12).toString('base64url')}`;
    const hash = await hashPassword(password);
    await this.withClient((c) => c.query(`INSERT INTO users (email, display_name, role, password_hash) VALUES ($1, $2, $3, $4)`, [email, `Bench ${role}`, role, hash]));
    const login = await this.expect(200, 'POST', '/auth/login', { json: { email, password } });
    return { token: login.token, password };
  }

  async withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.endpoints.databaseUrl });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  async close(): Promise<void> {
    try {
      await this.app.close();
      await this.endpoints.close();
    } finally {
      await this.cleanup();
    }
  }
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
