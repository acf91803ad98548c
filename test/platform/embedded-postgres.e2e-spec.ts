import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { EmbeddedPostgres } from '#platform';

// Always runs on the embedded database, whatever DATABASE_URL says: it tests the embedded default itself.
describe('embedded PostgreSQL (PGlite behind a loopback socket)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exolot-embedded-'));
  const dataDir = path.join(dir, 'pg');
  let db: EmbeddedPostgres;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = new EmbeddedPostgres(dataDir);
    pool = new pg.Pool({ connectionString: await db.start(), max: 8 });
    await pool.query('CREATE TABLE t (id serial PRIMARY KEY, label text NOT NULL)');
  }, 180000); // a first boot of a new PGlite folder takes seconds, far more on a loaded 2-core machine
  afterAll(async () => {
    await pool?.end();
    await db?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs many parameterised queries from separate connections at once without mixing them up', async () => {
    const results = await Promise.all(Array.from({ length: 64 }, (_, i) => pool.query<{ n: number; label: string }>('SELECT $1::int AS n, $2::text AS label', [i, `q${i}`])));
    results.forEach((r, i) => expect(r.rows[0]).toEqual({ n: i, label: `q${i}` }));
  });

  it('keeps concurrent transactions apart: a rollback leaves nothing and commits all land', async () => {
    const work = Array.from({ length: 10 }, async (_, i) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('INSERT INTO t (label) VALUES ($1)', [`tx${i}`]);
        await client.query(i % 2 === 0 ? 'COMMIT' : 'ROLLBACK');
      } finally {
        client.release();
      }
    });
    await Promise.all(work);
    const { rows } = await pool.query<{ label: string }>(`SELECT label FROM t WHERE label LIKE 'tx%' ORDER BY label`);
    expect(rows.map((r) => r.label)).toEqual(['tx0', 'tx2', 'tx4', 'tx6', 'tx8']);
  });

  it('refuses a second process on the same data folder', async () => {
    fs.writeFileSync(path.join(dir, 'other.lock'), String(process.ppid));
    const other = new EmbeddedPostgres(path.join(dir, 'other'));
    await expect(other.start()).rejects.toThrow(/in use by process/);
  });

  it('keeps its data across a restart', async () => {
    await pool.end();
    await db.stop();
    db = new EmbeddedPostgres(dataDir);
    pool = new pg.Pool({ connectionString: await db.start(), max: 2 });
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM t`);
    expect(rows[0].n).toBe(5);
  }, 180000);
});
