import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const WORKER_ENTRY = path.join(ROOT, 'dist/apps/worker/src/main.js');

/**
 * A real worker process (`node dist/apps/worker/src/main.js`, what `npm run start:worker`
 * runs), so a test can SIGKILL it mid-job. Needs the build (`npx tsc -p tsconfig.build.json`)
 * and a real PostgreSQL: a second process cannot share the embedded PGlite.
 */
export class WorkerProcess {
  private output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk) => this.append(chunk));
    child.stderr?.on('data', (chunk) => this.append(chunk));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  static start(env: { DATABASE_URL: string; QUEUE_PREFIX: string; QUEUE_LOCK_MS: string; REDIS_URL?: string }): WorkerProcess {
    if (!fs.existsSync(WORKER_ENTRY)) throw new Error(`${WORKER_ENTRY} is missing: run npx tsc -p tsconfig.build.json first`);
    const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', LOG_LEVEL: 'warn', OUTBOX_POLL_MS: '100', ...env };
    if (!env.REDIS_URL) delete childEnv.REDIS_URL;
    return new WorkerProcess(spawn(process.execPath, [WORKER_ENTRY], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** What the process printed (for a failing assertion's message). */
  get log(): string {
    return this.output;
  }

  /** No goodbye: the process dies where it stands, as on an OOM kill or a lost node. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** The orderly stop (SIGTERM): the worker finishes its current jobs, then exits. */
  async stop(timeoutMs = 20000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.alive) this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([this.exited, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)))]);
    clearTimeout(timer);
    if (outcome) return outcome;
    await this.kill();
    throw new Error(`worker ${this.pid} did not stop within ${timeoutMs} ms after SIGTERM:\n${this.output.slice(-2000)}`);
  }

  private append(chunk: Buffer): void {
    this.output = (this.output + chunk.toString()).slice(-20000);
  }
}
