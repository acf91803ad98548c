import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Queue } from 'bullmq';
import { type AppConfig, QUEUE_NAMES, QueueBackend, type QueueName } from '#platform';
import type { HttpResult, TestApp } from './test-app.js';

/** The repository root (dist/ is resolved from here, whatever the current directory). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENTRY = { api: 'dist/apps/api/src/main.js', worker: 'dist/apps/worker/src/main.js' } as const;
/** Variables of the test run that must never leak into a spawned process unless a test sets them. */
const STRIPPED = ['DATABASE_URL', 'REDIS_URL', 'DATA_DIR', 'PORT', 'HOST', 'QUEUE_PREFIX', 'NODE_OPTIONS', 'ADMIN_EMAIL', 'ADMIN_PASSWORD', 'RUN_WORKER', 'SEED_DEMO', 'JEST_WORKER_ID'];

export type ProcessRole = 'api' | 'worker';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The environment a spawned process needs to run on a TestDatabase's config: its database and
 * queue (or, embedded, its data folder) and its queue prefix. DATA_DIR is always the test's own
 * folder, so nothing is written to the repository's ./data.
 */
export function serviceEnv(config: AppConfig, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    DATA_DIR: config.dataDir,
    QUEUE_PREFIX: config.queuePrefix,
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    OUTBOX_POLL_MS: String(config.outboxPollMs),
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the promise's value, or undefined after `ms` (the timer never keeps the process alive). */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Every process a test file spawned, so an exiting Jest worker never leaves one behind. */
const live = new Set<AppProcess>();
process.once('exit', () => {
  for (const p of live) p.killGroupSync('SIGKILL');
});

/**
 * One `node dist/apps/{api,worker}/src/main.js` (what `npm run start:api` / `start:worker` run),
 * in its own process group, with an explicit environment. Output is kept (last 400 lines) for
 * diagnostics; an API is ready when /health/ready answers 200, a worker when it logs that it
 * started.
 */
export class AppProcess {
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitInfo?: { code: number | null; signal: NodeJS.Signals | null };

  private constructor(
    readonly name: string,
    readonly role: ProcessRole,
    readonly child: ChildProcess,
    readonly port: number | undefined,
    readonly env: Record<string, string>,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        live.delete(this);
        resolve(this.exitInfo);
      });
    });
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        this.output.push(line);
        if (this.output.length > 400) this.output.shift();
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** Spawns the process (not waiting for readiness). `env` is applied over a scrubbed copy of this process's env. */
  static async spawn(role: ProcessRole, options: { name?: string; env: Record<string, string>; args?: string[] }): Promise<AppProcess> {
    const base: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !STRIPPED.includes(key)) base[key] = value;
    const port = role === 'api' ? Number(options.env.PORT ?? (await freePort())) : undefined;
    const env: Record<string, string> = {
      ...base,
      NODE_ENV: 'test',
      LOG_LEVEL: role === 'worker' ? 'info' : 'warn',
      HOST: '127.0.0.1',
      LOGIN_RATE_LIMIT_PER_MIN: '100000',
      VERIFY_RATE_LIMIT_PER_MIN: '100000',
      ...options.env,
      ...(port !== undefined ? { PORT: String(port) } : {}),
    };
    const child = spawn(process.execPath, [ENTRY[role], ...(options.args ?? [])], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const proc = new AppProcess(options.name ?? `${role}-${child.pid}`, role, child, port, env);
    live.add(proc);
    return proc;
  }

  /** Spawns and waits until ready; throws (with the process's output) if it exits or is not ready in time. */
  static async start(role: ProcessRole, options: { name?: string; env: Record<string, string>; args?: string[]; readyTimeoutMs?: number }): Promise<AppProcess> {
    const proc = await AppProcess.spawn(role, options);
    try {
      await proc.waitReady(options.readyTimeoutMs ?? 60_000);
    } catch (error) {
      await proc.kill('SIGKILL');
      throw error;
    }
    return proc;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  get exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.exitInfo;
  }

  get baseUrl(): string {
    if (this.port === undefined) throw new Error(`${this.name} serves no HTTP`);
    return `http://127.0.0.1:${this.port}`;
  }

  async waitReady(timeoutMs: number): Promise<number> {
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
      if (!this.running) throw new Error(`${this.name} exited (${JSON.stringify(this.exitInfo)}) before it was ready:\n${this.tail()}`);
      if (this.role === 'worker') {
        if (this.output.some((line) => line.includes('Exolot worker started'))) return Date.now() - started;
      } else {
        const res = await httpRequest(this.baseUrl, 'GET', '/health/ready', { timeoutMs: 3000 }).catch(() => undefined);
        if (res?.status === 200) return Date.now() - started;
      }
      await sleep(100);
    }
    throw new Error(`${this.name} was not ready within ${timeoutMs} ms:\n${this.tail()}`);
  }

  /** Sends the signal to the whole process group and waits (bounded) for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
    if (!this.running) return this.exitInfo;
    this.killGroupSync(signal);
    await within(this.exited, timeoutMs);
    return this.exitInfo;
  }

  /** SIGTERM (graceful shutdown), then SIGKILL when it takes longer than `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    await this.kill('SIGTERM', graceMs);
    if (this.running) await this.kill('SIGKILL');
  }

  killGroupSync(signal: NodeJS.Signals): void {
    if (!this.child.pid || this.exitInfo) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      try {
        this.child.kill(signal);
      } catch {
        /* already gone */
      }
    }
  }

  tail(lines = 40): string {
    return this.output.slice(-lines).join('\n');
  }
}

/** Stops every process given (graceful first, bounded), ignoring ones already gone. */
export async function stopAll(processes: (AppProcess | undefined)[], graceMs = 15_000): Promise<void> {
  await Promise.all(processes.filter((p): p is AppProcess => Boolean(p)).map((p) => p.stop(graceMs).catch(() => p.killGroupSync('SIGKILL'))));
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export interface RequestOptions {
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
  payload?: Buffer | string;
  /** The whole exchange must finish within this (default 30 s); a timeout rejects. */
  timeoutMs?: number;
}

/** One HTTP exchange over a keep-alive agent, with the same result shape as TestApp.request. */
export function httpRequest<T = any>(baseUrl: string, method: string, url: string, options: RequestOptions = {}): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let payload: Buffer | string | undefined = options.payload;
  if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(url, baseUrl), { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        clearTimeout(timer);
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown = raw;
        if (String(res.headers['content-type'] ?? '').includes('json') && raw.length > 0) {
          try {
            body = JSON.parse(raw);
          } catch {
            /* keep the text */
          }
        }
        resolve({ status: res.statusCode ?? 0, body: body as T, headers: res.headers as never, raw });
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`${method} ${url} did not finish within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/**
 * Stands in for TestApp where the fixtures (test/support/fixtures.ts, users.ts) need only
 * `request` and `query`: requests go round-robin over the given API processes (each call to
 * the next one), queries to the test's own pool on the same database.
 */
export class ProcessCluster {
  private next = 0;
  readonly sql: pg.Pool;
  /** Answers per API base URL and status class ("2xx", "4xx", ...), to show where the load went. */
  readonly answered = new Map<string, Record<string, number>>();

  constructor(
    private readonly bases: () => string[],
    databaseUrl: string,
  ) {
    this.sql = new pg.Pool({ connectionString: databaseUrl, max: 3 });
    this.sql.on('error', () => undefined);
  }

  /** The cluster, typed for the fixtures that take a TestApp (they use request and query only). */
  get asApp(): TestApp {
    return this as unknown as TestApp;
  }

  request<T = any>(method: string, url: string, options: RequestOptions = {}): Promise<HttpResult<T>> {
    const bases = this.bases();
    const base = bases[this.next++ % bases.length];
    return httpRequest<T>(base, method, url, options).then((res) => {
      const counts = this.answered.get(base) ?? {};
      const key = `${Math.floor(res.status / 100)}xx`;
      counts[key] = (counts[key] ?? 0) + 1;
      this.answered.set(base, counts);
      return res;
    });
  }

  async query<T extends pg.QueryResultRow = any>(text: string, values: unknown[] = []): Promise<T[]> {
    return (await this.sql.query<T>(text, values)).rows;
  }

  async close(): Promise<void> {
    await this.sql.end().catch(() => undefined);
  }
}

/**
 * The test's own BullMQ clients on the queues the spawned processes use (same backend and
 * prefix as the config), to read job counts and states, or pause a queue.
 */
export async function openQueues(config: AppConfig): Promise<{ queues: Record<QueueName, Queue>; close(): Promise<void> }> {
  const backend = new QueueBackend(
    config.redisUrl
      ? { kind: 'redis', url: config.redisUrl, prefix: config.queuePrefix }
      : { kind: 'postgres', connection: { connectionString: config.databaseUrl!, schema: 'bullmq' }, label: 'test' },
  );
  const queues = {} as Record<QueueName, Queue>;
  for (const name of QUEUE_NAMES) {
    queues[name] = backend.createQueue(name);
    queues[name].on('error', () => undefined);
    await queues[name].waitUntilReady();
  }
  return {
    queues,
    async close() {
      for (const q of Object.values(queues)) await q.close().catch(() => undefined);
      await backend.close();
    },
  };
}

/** Runs `work` over the items with at most `limit` in flight; the first failure is rethrown once all settle. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let cursor = 0;
  let failure: unknown;
  const lane = async () => {
    while (cursor < items.length && failure === undefined) {
      const index = cursor++;
      try {
        results[index] = await work(items[index], index);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure !== undefined) throw failure;
  return results;
}
