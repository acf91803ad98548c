// Plain ESM (Jest loads global setup outside its module mapper): uses the built #platform.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runMigrations as runQueueMigrations } from 'bullmq';
import { applyMigrations, EmbeddedPostgres } from '#platform';

function withDatabase(url, database) {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Builds one migrated template per run; each test file clones it (fast, isolated). */
export default async function globalSetup() {
  const databaseUrl = process.env.DATABASE_URL || undefined;
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  if (databaseUrl) {
    const template = `exolot_tpl_${runId}`;
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      await dropStaleDatabases(admin);
      await admin.query(`CREATE DATABASE ${template}`);
    } finally {
      await admin.end();
    }
    const url = withDatabase(databaseUrl, template);
    await applyMigrations(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await runQueueMigrations(client, 'bullmq');
    await client.end();
    process.env.EXOLOT_TEST_TEMPLATE_DB = template;
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exolot-tpl-'));
    const appDb = new EmbeddedPostgres(path.join(dir, 'pg'));
    await applyMigrations(await appDb.start());
    await appDb.stop();
    const queueDb = new EmbeddedPostgres(path.join(dir, 'queue'), { searchPath: 'bullmq' });
    const client = new pg.Client({ connectionString: await queueDb.start() });
    await client.connect();
    await runQueueMigrations(client, 'bullmq');
    await client.end();
    await queueDb.stop();
    process.env.EXOLOT_TEST_TEMPLATE_DIR = dir;
  }
}

/** Databases left by an interrupted run (older than an hour) are removed. */
async function dropStaleDatabases(admin) {
  const { rows } = await admin.query(`SELECT datname FROM pg_database WHERE datname ~ '^exolot_(tpl|t)_'`);
  const cutoff = Date.now() - 3600_000;
  for (const { datname } of rows) {
    const stamp = parseInt(datname.split('_').pop() ?? '', 36);
    if (Number.isFinite(stamp) && stamp < cutoff) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).catch(() => undefined);
  }
}
