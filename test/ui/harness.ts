import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type ConsoleMessage, type Page } from 'playwright-core';

/** The built service (dist) on the embedded default, in a fresh data folder on a free port. */
export class Service {
  readonly base: string;
  private constructor(private readonly child: ChildProcess, readonly port: number, private readonly dataDir: string, readonly log: string[]) {
    this.base = `http://127.0.0.1:${port}`;
  }

  static async start(admin: { email: string; password: string }): Promise<Service> {
    if (!existsSync('dist/apps/api/src/main.js') || !existsSync('dist/web/index.html')) throw new Error('Build first: npm run build (test:ui does).');
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'exolot-ui-'));
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password, ADMIN_NAME: 'UI Admin', LOG_LEVEL: 'warn', NODE_ENV: 'development' };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    const child = spawn(process.execPath, ['dist/apps/api/src/main.js', '--with-worker'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log: string[] = [];
    child.stdout?.on('data', (d: Buffer) => log.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
    const service = new Service(child, port, dataDir, log);
    const started = Date.now();
    while (Date.now() - started < 120_000) {
      if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}: ${log.join('')}`);
      try {
        if ((await fetch(`${service.base}/health/ready`)).status === 200) return service;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`the service was not ready in 120 s: ${log.join('')}`);
  }

  async api<T = any>(method: string, url: string, token: string | null, body?: unknown): Promise<T> {
    const res = await fetch(this.base + url, {
      method,
      headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${url} → ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async login(email: string, password: string): Promise<string> {
    return (await this.api<{ token: string }>('POST', '/auth/login', null, { email, password })).token;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (this.child.exitCode === null) this.child.kill('SIGKILL');
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The flags that work as root on a closed network (STACK-NOTES, "Browser tests"). */
export const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new Error(`Chromium not found at ${executablePath}: apt-get install -y chromium`);
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_FLAGS });
}

export const SHOTS = path.join('test-output', 'ui');

/** A signed-out browser context that records console errors and uncaught page errors. */
export class Session {
  readonly errors: string[] = [];
  readonly failedRequests: string[] = [];
  private constructor(readonly context: BrowserContext, readonly page: Page, private readonly base: string) {}

  static async open(browser: Browser, base: string, viewport = { width: 1280, height: 900 }): Promise<Session> {
    const context = await browser.newContext({ baseURL: base, viewport });
    const page = await context.newPage();
    const session = new Session(context, page, base);
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() !== 'error') return;
      // A refused request (expected in negative steps) is logged by Chromium itself; it is checked per request below.
      if (m.text().startsWith('Failed to load resource')) return;
      session.errors.push(m.text());
    });
    page.on('pageerror', (e) => session.errors.push(`pageerror: ${e.message}`));
    page.on('response', (r) => {
      if (r.status() >= 400) session.failedRequests.push(`${r.request().method()} ${r.url().replace(base, '')} ${r.status()}`);
    });
    return session;
  }

  async shot(name: string): Promise<void> {
    mkdirSync(SHOTS, { recursive: true });
    await this.page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  }

  async signIn(email: string, password: string): Promise<void> {
    await this.page.goto('/login');
    await this.page.getByLabel('E-mail').fill(email);
    await this.page.getByLabel('Password', { exact: true }).fill(password);
    await this.page.getByRole('button', { name: 'Sign in' }).click();
    await this.page.getByTestId('signed-in-as').waitFor();
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
