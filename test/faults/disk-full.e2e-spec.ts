import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { loadConfig } from '#platform';
import { cellCultureHarvest, isolatedBatch, productWithEffectiveSpec } from '../support/fixtures.js';
import { multipartBody } from '../support/multipart.js';
import { AppProcess, ProcessCluster, serviceEnv, stopAll } from '../support/processes.js';
import { type HttpResult, TestApp, TestDatabase } from '../support/test-app.js';
import { testEnv, withDatabase } from '../support/test-env.js';
import { signIn, signInAs } from '../support/users.js';
import { ms, muteConsoleLog, report } from './support/load.js';
import { seedUsers } from './support/seed-users.js';

/**
 * Disk full, and oversized uploads, refused cleanly.
 *
 * Oversized (both variants, through a real socket to an API process, what a browser or an
 * instrument PC talks to; test/instrument-imports/limits.e2e-spec.ts covers every upload route
 * in-process): a JSON body over 1 MiB is 413 problem+json request.too_large, a file over
 * INSTRUMENT_MAX_BYTES 422 problem+json instrument.too_large, also while the client is still
 * sending 30 MiB; nothing is stored and the API serves the next request.
 *
 * Disk full: the database has no space for a write (PostgreSQL SQLSTATE 53100 disk_full). The
 * API answers 507 problem+json service.insufficient_storage (not a 500), stores nothing of the
 * refused request, keeps serving reads, and takes the same write again once space is freed,
 * without a restart. How the disk fills depends on where the test runs:
 * - DATABASE_URL on this host, run as root: the test's database lives in a tablespace on a
 *   24 MiB tmpfs, filled with 2 MiB images until PostgreSQL fails with "could not extend file …:
 *   No space left on device"; freeing space is growing the tmpfs (mount -o remount,size=64m).
 *   A real ENOSPC in the real server (WAL stays on the server's own disk).
 * - otherwise (embedded PGlite, or mount/tablespace not permitted; the reason is printed): a
 *   trigger in the test's own database raises that same error (ERRCODE disk_full) on every
 *   insert of an upload or a harvest; dropping it frees the space. A PGlite data folder on a
 *   full tmpfs is no substitute: PGlite stops answering once its WAL cannot be written, until
 *   the process restarts (the data folder recovers then).
 */

const REAL = Boolean(testEnv.databaseUrl);
const UPLOAD_LIMIT = 1024 * 1024;

type Target = Pick<TestApp, 'request' | 'query'>;

function png(bytes: number, random = false): Buffer {
  const content = random ? randomBytes(bytes) : Buffer.alloc(bytes, 0x5a);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(content);
  return content;
}

function imageForm(content: Buffer) {
  return multipartBody({}, [{ filename: 'em-micrograph.png', content, contentType: 'image/png' }]);
}

function expectProblem(res: HttpResult, status: number, code: string): void {
  expect({ status: res.status, type: res.headers['content-type'], code: res.body?.code }).toEqual({ status, type: expect.stringMatching(/^application\/problem\+json/), code });
  expect(res.body).toMatchObject({ status, requestId: expect.any(String), type: `urn:exolot:problem:${code}` });
}

describe(`oversized requests through a real socket (${REAL ? 'API process on DATABASE_URL' : 'embedded all-in-one process'})`, () => {
  let database: TestDatabase;
  let api: AppProcess;
  let cluster: ProcessCluster;
  let tech: string;
  let qa: string;
  let batchId: string;

  beforeAll(async () => {
    database = await TestDatabase.create();
    const users = await seedUsers(database.config, ['technician', 'qa_manager'] as const);
    api = await AppProcess.start('api', { name: 'api', env: serviceEnv(database.config, { INSTRUMENT_MAX_BYTES: String(UPLOAD_LIMIT) }), args: REAL ? [] : ['--with-worker'], readyTimeoutMs: 120_000 });
    cluster = new ProcessCluster(() => [api.baseUrl], database.config.databaseUrl ?? 'postgres://unused@127.0.0.1:9/none');
    tech = await signIn(cluster.asApp, users.technician);
    qa = await signIn(cluster.asApp, users.qa_manager);
    const { productId } = await productWithEffectiveSpec(cluster.asApp, { token: qa, password: users.qa_manager.password });
    batchId = await isolatedBatch(cluster.asApp, tech, productId);
  }, 180_000);

  afterAll(async () => {
    await stopAll([api]);
    await cluster?.close();
    await database?.drop();
  }, 60_000);

  it('refuses with 413 / 422 problem+json, stores nothing, and serves the next request', async () => {
    const storedFiles = async () => (await cluster.request('GET', `/audit?entityType=instrument_file&limit=100`, { token: qa })).body.items.length as number;
    expect(await storedFiles()).toBe(0);

    const big = await cluster.request('POST', '/batches', { token: tech, body: { ...cellCultureHarvest('00000000-0000-4000-8000-000000000000'), notes: 'x'.repeat(2 * 1024 * 1024) } });
    expectProblem(big, 413, 'request.too_large');

    const over = await cluster.request('POST', `/batches/${batchId}/files`, { token: tech, ...imageForm(png(UPLOAD_LIMIT + 1)) });
    expectProblem(over, 422, 'instrument.too_large');
    expect(over.body).toMatchObject({ limitBytes: UPLOAD_LIMIT });

    const t0 = performance.now();
    const huge = await cluster.request('POST', `/batches/${batchId}/files`, { token: tech, ...imageForm(png(30 * 1024 * 1024)), timeoutMs: 60_000 });
    const hugeMs = performance.now() - t0;
    report(`oversized: 2 MiB JSON body → ${big.status}, file of limit+1 bytes → ${over.status}, 30 MiB file → ${huge.status} after ${ms(hugeMs)}`);
    expectProblem(huge, 422, 'instrument.too_large');

    expect(await storedFiles()).toBe(0);
    const ok = await cluster.request('POST', `/batches/${batchId}/files`, { token: tech, ...imageForm(png(1000)) });
    expect(ok.status).toBe(201);
    expect(await storedFiles()).toBe(1);
    expect(api.running).toBe(true);
  }, 120_000);
});

interface DiskRig {
  /** How the disk fills, for the report. */
  how: string;
  target: Target;
  /** Until the next write needing space fails. */
  fill(upload: () => Promise<HttpResult>): Promise<HttpResult[]>;
  /** The operator frees space. */
  free(): Promise<void>;
  close(): Promise<void>;
}

const DISK_FULL_TRIGGERS = `
  CREATE FUNCTION faults_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    RAISE EXCEPTION 'could not extend file "base/faults/%": No space left on device', TG_TABLE_NAME USING ERRCODE = 'disk_full', HINT = 'Check free disk space.';
  END $$;
  CREATE TRIGGER faults_disk_full BEFORE INSERT ON instrument_files FOR EACH ROW EXECUTE FUNCTION faults_disk_full();
  CREATE TRIGGER faults_disk_full BEFORE INSERT ON harvests FOR EACH ROW EXECUTE FUNCTION faults_disk_full();`;
const DROP_DISK_FULL_TRIGGERS = `
  DROP TRIGGER faults_disk_full ON instrument_files; DROP TRIGGER faults_disk_full ON harvests; DROP FUNCTION faults_disk_full();`;

/** The real thing: the test's database in a tablespace on a small tmpfs. Undefined (with the reason) when this host does not allow it. */
async function tmpfsRig(): Promise<DiskRig | string> {
  if (!REAL) return 'embedded database (PGlite stops answering on a full WAL; simulated instead)';
  if (process.getuid?.() !== 0) return 'not root: cannot mount a size-limited tmpfs';
  const admin = new pg.Client({ connectionString: testEnv.databaseUrl });
  await admin.connect();
  const cleanup: (() => Promise<void> | void)[] = [];
  const undo = async () => {
    for (const step of cleanup.reverse()) await Promise.resolve(step()).catch(() => undefined);
    await admin.end().catch(() => undefined);
  };
  try {
    const [{ data_directory: dataDirectory }] = (await admin.query(`SHOW data_directory`)).rows;
    if (!['127.0.0.1', 'localhost', '::1'].includes(new URL(testEnv.databaseUrl!).hostname) || !fs.existsSync(dataDirectory)) {
      await undo();
      return 'the PostgreSQL server is not on this host';
    }
    const { uid, gid } = fs.statSync(dataDirectory);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exolot-diskfull-'));
    cleanup.push(() => fs.rmdirSync(dir));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    } catch (error) {
      await undo();
      return `mount not permitted (${String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim()})`;
    }
    cleanup.push(() => {
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } catch {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      }
    });
    fs.chownSync(dir, uid, gid);
    const suffix = `${process.pid}_${randomBytes(3).toString('hex')}_${Date.now().toString(36)}`;
    const tablespace = `exolot_full_${suffix}`;
    await admin.query(`CREATE TABLESPACE ${tablespace} LOCATION '${dir}'`);
    cleanup.push(async () => { await admin.query(`DROP TABLESPACE IF EXISTS ${tablespace}`); });
    const name = `exolot_t_${suffix}`;
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${testEnv.templateDatabase} TABLESPACE ${tablespace}`);
    cleanup.push(async () => { await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'exolot-t-'));
    cleanup.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, DATABASE_URL: withDatabase(testEnv.databaseUrl!, name), QUEUE_PREFIX: `f${suffix.replace(/_/g, '').slice(-12)}`, ...(testEnv.redisUrl ? { REDIS_URL: testEnv.redisUrl } : {}) });
    const api = await AppProcess.start('api', { name: 'api-diskfull', env: serviceEnv(config, { DB_POOL_SIZE: '4' }) });
    cleanup.push(() => stopAll([api]));
    const cluster = new ProcessCluster(() => [api.baseUrl], config.databaseUrl!);
    cleanup.push(() => cluster.close());
    return {
      how: 'real ENOSPC: database in a tablespace on a 24 MiB tmpfs',
      target: cluster,
      async fill(upload) {
        const answers: HttpResult[] = [];
        for (let i = 0; i < 40; i++) {
          const res = await upload();
          answers.push(res);
          if (res.status !== 201) break;
        }
        return answers;
      },
      async free() {
        execFileSync('mount', ['-o', 'remount,size=64m', dir], { stdio: 'pipe' });
      },
      close: undo,
    };
  } catch (error) {
    await undo();
    return `tablespace on tmpfs not possible (${(error as Error).message})`;
  }
}

/** The fallback: the same error, raised by a trigger in the test's own database. */
async function triggerRig(): Promise<DiskRig> {
  let target: Target;
  let close: () => Promise<void>;
  if (REAL) {
    const database = await TestDatabase.create();
    const api = await AppProcess.start('api', { name: 'api-diskfull', env: serviceEnv(database.config, { DB_POOL_SIZE: '4' }) });
    const cluster = new ProcessCluster(() => [api.baseUrl], database.config.databaseUrl!);
    target = cluster;
    close = async () => {
      await stopAll([api]);
      await cluster.close();
      await database.drop();
    };
  } else {
    const app = await TestApp.start({ worker: false, env: { LOG_LEVEL: 'fatal' } });
    const restoreConsole = muteConsoleLog(); // in-process: TypeORM would print each refused 2 MiB insert
    target = app;
    close = async () => {
      restoreConsole();
      await app.close();
    };
  }
  return {
    how: 'simulated: a trigger raises SQLSTATE 53100 disk_full on inserts of uploads and harvests',
    target,
    async fill(upload) {
      await target.query(DISK_FULL_TRIGGERS);
      return [await upload()];
    },
    async free() {
      await target.query(DROP_DISK_FULL_TRIGGERS);
    },
    close,
  };
}

describe('the database disk full', () => {
  let rig: DiskRig;
  let fallbackReason: string | undefined;

  beforeAll(async () => {
    const real = await tmpfsRig();
    if (typeof real === 'string') {
      fallbackReason = real;
      rig = await triggerRig();
    } else {
      rig = real;
    }
  }, 180_000);
  afterAll(async () => {
    await rig?.close();
  }, 60_000);

  it('answers 507 problem+json, stores nothing of the refused write, keeps serving reads, and takes writes again once space is freed', async () => {
    const { target } = rig;
    const app = target as TestApp;
    const qa = await signInAs(app, 'qa_manager');
    const tech = await signInAs(app, 'technician');
    const { productId } = await productWithEffectiveSpec(app, qa);
    const batchId = await isolatedBatch(app, tech.token, productId);
    const upload = (content = png(2 * 1024 * 1024, true)) => target.request('POST', `/batches/${batchId}/files`, { token: tech.token, ...imageForm(content), timeoutMs: 60_000 } as never);
    const files = async () => (await target.query(`SELECT count(*)::int AS n FROM instrument_files WHERE batch_id = $1`, [batchId]))[0].n as number;

    const answers = await rig.fill(() => upload());
    const refused = answers[answers.length - 1];
    const accepted = answers.filter((a) => a.status === 201);
    expectProblem(refused, 507, 'service.insufficient_storage');
    expect(answers.slice(0, -1).every((a) => a.status === 201)).toBe(true);
    // The refused upload left nothing; every accepted one is there.
    expect(await files()).toBe(accepted.length);
    const [unaudited] = await target.query(`SELECT count(*)::int AS n FROM instrument_files f WHERE NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.entity_type = 'instrument_file' AND a.entity_id = f.id::text)`);
    expect(unaudited.n).toBe(0);

    // Reads still work; other writes are refused the same way or fit (never a 500).
    expect((await target.request('GET', `/batches/${batchId}`, { token: tech.token })).status).toBe(200);
    expect((await target.request('GET', '/health/ready')).status).toBe(200);
    const harvest = await target.request('POST', '/batches', { token: tech.token, body: cellCultureHarvest(productId) });
    if (harvest.status !== 201) expectProblem(harvest, 507, 'service.insufficient_storage');
    const retried = await upload();
    expectProblem(retried, 507, 'service.insufficient_storage');

    // Space is freed: the same upload goes through, without a restart.
    const same = png(2 * 1024 * 1024, true);
    await rig.free();
    const freedAt = performance.now();
    let recovered: HttpResult | undefined;
    while (performance.now() - freedAt < 30_000) {
      recovered = await upload(same);
      if (recovered.status === 201) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const recoveryMs = performance.now() - freedAt;
    report(`disk full (${rig.how}${fallbackReason ? `; real ENOSPC not used: ${fallbackReason}` : ''}): ${accepted.length} × 2 MiB uploads stored, then ${refused.status} ${refused.body?.code}; ` +
      `harvest while full → ${harvest.status}; RECOVERY ${ms(recoveryMs)} from freeing space to the first stored upload`);
    expect(recovered?.status).toBe(201);
    expect(await files()).toBe(accepted.length + 1);
    expect((await target.request('GET', '/audit/verify', { token: qa.token })).body).toMatchObject({ valid: true });
  }, 180_000);
});
