import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '#migrations';
import { applyMigrations, buildDataSourceOptions, EmbeddedPostgres } from '#platform';
import { withDatabase } from '../support/test-env.js';

/** Everything the migrations own in the public schema, one line per object, sorted. */
const SCHEMA_SNAPSHOT = `
  SELECT x FROM (
    SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS x
      FROM information_schema.columns WHERE table_schema = 'public'
    UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
    UNION ALL SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    UNION ALL SELECT 'trigger ' || tgrelid::regclass || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL SELECT 'function ' || p.oid::regprocedure FROM pg_proc p
      WHERE p.pronamespace = 'public'::regnamespace AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
    UNION ALL SELECT 'sequence ' || sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public'
  ) s ORDER BY x`;

async function snapshot(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ x: string }>(SCHEMA_SNAPSHOT)).rows.map((r) => r.x);
  } finally {
    await client.end();
  }
}

async function undoAll(url: string): Promise<void> {
  const dataSource = new DataSource(buildDataSourceOptions(url, { poolSize: 1, applicationName: 'exolot-migrate-test' }));
  await dataSource.initialize();
  try {
    for (let i = 0; i < MIGRATIONS.length; i++) await dataSource.undoLastMigration({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}

/**
 * The migrations are the only source of the schema, so each one's down() must really undo it:
 * all applied, all reverted (nothing of ours is left), all applied again (the same schema).
 * On a new database of DATABASE_URL's server, or on a new embedded database.
 */
describe('migrations', () => {
  let url: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const server = process.env.DATABASE_URL;
    if (server) {
      const name = `exolot_t_mig_${Date.now().toString(36)}`;
      const admin = new pg.Client({ connectionString: server });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      url = withDatabase(server, name);
      cleanup = async () => {
        const c = new pg.Client({ connectionString: server });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      };
    } else {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exolot-mig-'));
      const db = new EmbeddedPostgres(path.join(dir, 'pg'));
      url = await db.start();
      cleanup = async () => {
        await db.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      };
    }
  }, 180000);
  afterAll(async () => cleanup?.());

  it('apply all, revert all, apply all again gives the same schema', async () => {
    const applied = await applyMigrations(url);
    expect(applied).toEqual(MIGRATIONS.map((m) => new m().name));
    const migrated = await snapshot(url);
    expect(migrated).toEqual(expect.arrayContaining([expect.stringMatching(/^index CREATE INDEX vials_batch_expiry_idx /), expect.stringMatching(/^trigger audit_events /)]));

    await undoAll(url);
    const reverted = await snapshot(url);
    // Only the migration bookkeeping table is left.
    expect(reverted.filter((line) => !/schema_migrations/.test(line))).toEqual([]);

    expect(await applyMigrations(url)).toHaveLength(MIGRATIONS.length);
    expect(await snapshot(url)).toEqual(migrated);
  }, 300000);
});
