import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { productWithEffectiveSpec, releasedBatch } from '../support/fixtures.js';
import { eventually, TestApp } from '../support/test-app.js';
import { testEnv, withDatabase } from '../support/test-env.js';
import { signInAs } from '../support/users.js';

/**
 * `npm run backup` and `npm run restore` (scripts/backup.mjs, scripts/restore.mjs) on real data
 * made through HTTP (a released batch, so signatures on a specification and a release): after a
 * restore into a new database, the audit chain verifies with the same event count, every
 * signature still matches its record, every table has the rows it had, and the database still
 * refuses edits of the regulated record. On PostgreSQL (DATABASE_URL set) that is pg_dump and
 * pg_restore; on the embedded default it is a copy of the stopped service's DATA_DIR.
 */
const onPostgres = Boolean(testEnv.databaseUrl);

function run(script: string, args: string[], env: Record<string, string | undefined>): { status: number | null; out: string } {
  const result = spawnSync(process.execPath, [path.resolve('scripts', script), ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

/** What must survive a backup: the chain verdict, each signature's check, each table's row count. */
async function record(app: TestApp, qaToken: string) {
  const verify = await app.request('GET', '/audit/verify', { token: qaToken });
  const signatures = await app.request('GET', '/signatures?limit=100', { token: qaToken });
  const tables = await app.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`);
  const counts: Record<string, number> = {};
  for (const { name } of tables) counts[name] = (await app.query(`SELECT count(*)::int AS n FROM public."${name}"`))[0].n;
  return {
    verify: verify.body,
    signatures: (signatures.body.items as { id: string; valid: boolean; check: string; recordHash: string }[]).map(({ id, valid, check, recordHash }) => ({ id, valid, check, recordHash })).sort((a, b) => a.id.localeCompare(b.id)),
    counts,
  };
}

/** Waits until nothing is left for the worker: the outbox relayed and no job waiting or running (the cold-chain scan repeats, delayed). */
async function quiet(app: TestApp): Promise<void> {
  await eventually(async () => {
    const ready = await app.request('GET', '/health/ready');
    const queues = Object.values(ready.body.checks?.queue?.queues ?? {}) as { waiting?: number; active?: number }[];
    return ready.body.checks?.database?.outboxPending === 0 && queues.length > 0 && queues.every((q) => !q.waiting && !q.active);
  }, 30_000, 100);
}

describe(`backup and restore (${onPostgres ? 'PostgreSQL: pg_dump / pg_restore' : 'embedded: copy of the stopped DATA_DIR'})`, () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'exolot-backup-'));
  let source: TestApp | undefined;
  let restored: TestApp | undefined;
  afterAll(async () => {
    await restored?.close();
    await source?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('restores into a new database where the chain verifies, every signature matches and every row is back', async () => {
    // The cold-chain scan is a repeating job: keep it from running while the data are compared.
    source = await TestApp.start({ worker: true, env: { COLD_CHAIN_SCAN_MS: String(24 * 3600_000) } });
    const qa = await signInAs(source, 'qa_manager');
    const tech = await signInAs(source, 'technician');
    const { productId } = await productWithEffectiveSpec(source, qa);
    const { batchId, lotNumber } = await releasedBatch(source, tech.token, qa, productId);
    await quiet(source);
    const before = await record(source, qa.token);
    expect(before.verify).toMatchObject({ valid: true, firstBrokenSeq: null });
    expect(before.verify.checked).toBeGreaterThan(10);
    expect(before.signatures.length).toBeGreaterThanOrEqual(2);
    expect(before.signatures.every((s) => s.valid)).toBe(true);

    let target: { databaseUrl?: string; dataDir?: string };
    if (onPostgres) {
      const file = path.join(work, 'exolot.dump');
      const sourceUrl = source.config.databaseUrl!;
      const backup = run('backup.mjs', [file], { DATABASE_URL: sourceUrl });
      expect(backup).toMatchObject({ status: 0 });
      expect(backup.out).toMatch(/sha256 [0-9a-f]{64}/);
      expect(fs.existsSync(`${file}.partial`)).toBe(false);
      // Nothing happened to the source meanwhile, so the dump holds exactly what was recorded.
      expect((await record(source, qa.token)).counts).toEqual(before.counts);

      // Never over a database that holds data.
      const refused = run('restore.mjs', [file, sourceUrl], {});
      expect(refused.status).toBe(3);
      expect(refused.out).toMatch(/not empty/);
      expect((await record(source, qa.token)).counts).toEqual(before.counts);

      const name = `exolot_t_${process.pid}_${randomBytes(3).toString('hex')}_r_${Date.now().toString(36)}`;
      const url = withDatabase(testEnv.databaseUrl!, name);
      const restore = run('restore.mjs', [file, url], {});
      expect(restore).toMatchObject({ status: 0 });
      expect(restore.out).toMatch(new RegExp(`created database ${name}`));
      target = { databaseUrl: url };
    } else {
      const dataDir = source.config.dataDir;
      const copy = path.join(work, 'exolot-data');
      // Not while the service runs: its files are not consistent on disk.
      const busy = run('backup.mjs', [copy], { DATA_DIR: dataDir, DATABASE_URL: '' });
      expect(busy.status).toBe(2);
      expect(busy.out).toMatch(/stop it first/);
      expect(fs.existsSync(copy)).toBe(false);

      await source.stop();
      const backup = run('backup.mjs', [copy], { DATA_DIR: dataDir, DATABASE_URL: '' });
      expect(backup).toMatchObject({ status: 0 });
      expect(fs.readdirSync(copy).sort()).toEqual(expect.arrayContaining(['pg', 'queue']));
      expect(fs.readdirSync(copy).filter((f) => f.endsWith('.lock'))).toEqual([]);

      const occupied = run('restore.mjs', [copy, dataDir], {});
      expect(occupied.status).toBe(3);
      const newDir = path.join(work, 'restored-data');
      const restore = run('restore.mjs', [copy, newDir], {});
      expect(restore).toMatchObject({ status: 0 });
      target = { dataDir: newDir };
    }

    restored = await TestApp.start({ worker: false, ...target });
    const after = await record(restored, qa.token);
    expect(after.verify).toEqual(before.verify);
    expect(after.signatures).toEqual(before.signatures);
    expect(after.signatures.every((s) => s.valid && s.check === 'matches')).toBe(true);
    expect(after.counts).toEqual(before.counts);

    // The records read back as they were, through the API.
    const batch = await restored.request('GET', `/batches/${batchId}`, { token: tech.token });
    expect(batch.body).toMatchObject({ id: batchId, state: 'released' });
    const release = await restored.request('GET', `/batches/${batchId}/release`, { token: qa.token });
    expect(release.status).toBe(200);
    expect(JSON.stringify(release.body)).toContain(lotNumber);

    // The regulated record is still append-only in the restored database: triggers and grants came back.
    await expect(restored.query(`UPDATE audit_events SET reason = 'edited' WHERE seq = (SELECT min(seq) FROM audit_events)`)).rejects.toThrow();
    await expect(restored.query(`DELETE FROM signatures`)).rejects.toThrow();
    const [grants] = await restored.query(`SELECT has_table_privilege('exolot_app', 'audit_events', 'INSERT') AS insert, has_table_privilege('exolot_app', 'audit_events', 'UPDATE') AS update`);
    expect(grants).toEqual({ insert: true, update: false });

    // And it keeps working: a new audited command chains onto the restored trail.
    const more = await restored.request('POST', '/products', { token: qa.token, body: { code: `EXO-R${randomBytes(2).toString('hex').toUpperCase()}`, name: 'After restore', shelfLifeDays: 30 } });
    expect(more.status).toBe(201);
    const verify = await restored.request('GET', '/audit/verify', { token: qa.token });
    expect(verify.body).toMatchObject({ valid: true, firstBrokenSeq: null });
    expect(verify.body.checked).toBeGreaterThan(before.verify.checked);
  }, 170_000);
});
