// Smoke test of the embedded default, as a newcomer runs it: a fresh data folder, start,
// ready, one harvest recorded, restart, still there. Exits non-zero on any failure.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'exolot-smoke-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const admin = { email: 'smoke-admin@example.test', password: 'smoke-admin-password-1' };
const env = { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password, ADMIN_NAME: 'Smoke Admin', LOG_LEVEL: 'warn' };
delete env.DATABASE_URL;
delete env.REDIS_URL;

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function start() {
  const child = spawn(process.execPath, ['dist/apps/api/src/main.js', '--with-worker'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  child.exited = new Promise((resolve) => child.on('exit', resolve));
  return child;
}

async function waitReady(child, timeoutMs = 60000) {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${base}/health/ready`);
      if (res.status === 200) return Date.now() - started;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('not ready in time');
}

async function call(method, url, token, body) {
  const res = await fetch(base + url, { method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (res.status >= 400) throw new Error(`${method} ${url} → ${res.status} ${text}`);
  return json;
}

async function login(email, password) {
  return (await call('POST', '/auth/login', null, { email, password })).token;
}

async function stop(child) {
  child.kill('SIGTERM');
  const code = await Promise.race([child.exited, new Promise((r) => setTimeout(() => r('timeout'), 20000))]);
  if (code === 'timeout') {
    child.kill('SIGKILL');
    throw new Error('the service did not stop within 20 s of SIGTERM');
  }
}

let child;
try {
  child = start();
  const firstBoot = await waitReady(child);
  const adminToken = await login(admin.email, admin.password);
  const password = 'smoke-user-password-1';
  await call('POST', '/users', adminToken, { email: 'tech@smoke.test', displayName: 'Smoke Tech', role: 'technician', password });
  await call('POST', '/users', adminToken, { email: 'qa@smoke.test', displayName: 'Smoke QA', role: 'qa_manager', password });
  const qa = await login('qa@smoke.test', password);
  const tech = await login('tech@smoke.test', password);
  const product = await call('POST', '/products', qa, { code: 'SMOKE-1', name: 'Smoke product', shelfLifeDays: 30 });
  const batch = await call('POST', '/batches', tech, {
    productId: product.id, sourceType: 'cell_culture_media', originClass: 'human_cell_derived', harvestedAt: new Date(Date.now() - 60000).toISOString(),
    cellCulture: { producingCellType: 'hela', passageNumber: 2, cellCount: 1e7, cultureDays: 2, mediaVolumeMl: 100, evDepletedMedia: true },
  });
  await stop(child);

  child = start();
  const reboot = await waitReady(child);
  const again = await call('GET', `/batches/${batch.id}`, await login('tech@smoke.test', password));
  if (again.batchNumber !== batch.batchNumber || again.state !== 'harvested' || !again.harvest) throw new Error('the harvest did not survive the restart');
  await stop(child);
  console.log(`embedded smoke test passed: first boot ready in ${firstBoot} ms, restart ready in ${reboot} ms, batch ${batch.batchNumber} survived the restart`);
  fs.rmSync(dataDir, { recursive: true, force: true });
} catch (error) {
  console.error('embedded smoke test FAILED:', error.message);
  if (child && child.exitCode === null) child.kill('SIGKILL');
  process.exit(1);
}
