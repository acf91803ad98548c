import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { ColdChainJobs } from '#cold-chain';
import { BenchApp } from './bench-app.js';
import { copyFrom } from './copy-from.js';
import { type BenchSection, fixed, heading, type LoadResult, loadRow, ratio, runBounded, table } from './section.js';

const BATCH = 1000;
const INGEST_REQUESTS = Number(process.env.BENCH_INGEST_REQUESTS ?? 200);
const INGEST_LOGGERS = 8;
const CONCURRENCY = 8;
const DETECT_LOGGERS = Number(process.env.BENCH_DETECT_LOGGERS ?? 500);
/** 10 million on a PostgreSQL server; the embedded (WASM) database gets a smaller default to stay within minutes. */
const detectReadings = (embedded: boolean) => Number(process.env.BENCH_DETECT_READINGS ?? (embedded ? 2_000_000 : 10_000_000));

interface Row { loggerId: string; at: Date; c: number }

/**
 * (c) Cold chain: temperature ingestion through HTTP in batches of 1,000 (logger key, per-reading
 * screening, one INSERT … FROM unnest ON CONFLICT DO NOTHING, outbox) against COPY of the same
 * rows in the same run; then excursion detection over millions of stored readings.
 */
export const coldChainSection: BenchSection = {
  name: 'cold-chain',
  title: 'temperature ingestion (HTTP vs COPY) and excursion detection',
  async run() {
    heading(this);
    const app = await BenchApp.start();
    try {
      const tech = (await app.signIn('technician')).token;
      const site = await app.expect(201, 'POST', '/storage/sites', { token: tech, json: { code: `BENCH-${randomBytes(2).toString('hex')}`, name: 'Bench site' } });
      const freezer = await app.expect(201, 'POST', '/storage/freezers', { token: tech, json: { siteId: site.id, code: `ULT-BENCH-${randomBytes(2).toString('hex')}`, name: 'Bench freezer', setPointC: -80, alarmHighC: -60 } });
      const loggers: { id: string; key: string }[] = [];
      for (let i = 0; i < INGEST_LOGGERS; i++) {
        const reply = await app.expect(201, 'POST', '/loggers', { token: tech, json: { code: `TL-BENCH-${i}-${randomBytes(2).toString('hex')}`, kind: 'freezer', freezerId: freezer.id } });
        loggers.push({ id: reply.logger.id, key: reply.key });
      }
      const ingest = await ingestThroughHttp(app, loggers);
      const copy = await copyBaseline(app, ingest.rows);
      console.log(`  ${app.backend}; real HTTP on ${app.baseUrl}; ${INGEST_REQUESTS} requests × ${BATCH} readings, ${INGEST_LOGGERS} loggers, concurrency ${CONCURRENCY}`);
      table([
        loadRow(`${copy.label}, one per 1,000 rows (baseline)`, perReading(copy.batched), 'readings/s'),
        loadRow('POST /temperature-readings (1,000 per request)', perReading(ingest.load), 'readings/s', perReading(copy.batched)),
        [`${copy.label}, all ${fixed(ingest.rows.length, 0)} rows at once`, `${fixed(copy.single)} readings/s`, `HTTP at ${ratio(perReading(ingest.load).perSecond, copy.single)} of it`],
      ]);
      await detectionBench(app);
    } finally {
      await app.close();
    }
  },
};

/** Per-request figures turned into readings (1,000 per request). */
function perReading(load: LoadResult): LoadResult {
  return { ...load, count: load.count * BATCH, perSecond: load.perSecond * BATCH, p50Ms: load.p50Ms, p99Ms: load.p99Ms };
}

async function ingestThroughHttp(app: BenchApp, loggers: { id: string; key: string }[]): Promise<{ load: LoadResult; rows: Row[] }> {
  const perLogger = Math.ceil(INGEST_REQUESTS / loggers.length);
  const start = Date.now() - (perLogger * BATCH + 600) * 1000;
  const rows: Row[] = [];
  const bodies = Array.from({ length: INGEST_REQUESTS }, (_, i) => {
    const logger = loggers[i % loggers.length];
    const offset = Math.floor(i / loggers.length) * BATCH;
    const readings = Array.from({ length: BATCH }, (_, k) => {
      const at = new Date(start + (offset + k) * 1000);
      const c = Math.round((-80 + Math.sin((offset + k) / 300) * 2) * 10) / 10;
      rows.push({ loggerId: logger.id, at, c });
      return { recordedAt: at.toISOString(), temperatureC: c };
    });
    return { key: logger.key, body: Buffer.from(JSON.stringify({ readings })) };
  });
  const load = await runBounded(INGEST_REQUESTS, CONCURRENCY, async (i) => {
    const reply = await app.expect(200, 'POST', '/temperature-readings', { body: bodies[i].body, headers: { authorization: `Logger ${bodies[i].key}`, 'content-type': 'application/json' } });
    if (reply.stored !== BATCH) throw new Error(`expected ${BATCH} stored, got ${JSON.stringify(reply).slice(0, 300)}`);
  });
  return { load, rows };
}

/**
 * The same loggers and values, 30 days earlier (the readings table refuses duplicates and
 * deletions), written with COPY FROM STDIN. PGlite's socket does not speak the COPY
 * sub-protocol, so on the embedded database the baseline is a direct INSERT … SELECT FROM
 * unnest of the same rows through pg (no HTTP, no screening, no outbox) instead.
 */
async function copyBaseline(app: BenchApp, rows: Row[]): Promise<{ batched: LoadResult; single: number; label: string }> {
  const shifted = (r: Row, days: number) => new Date(r.at.getTime() - days * 86400_000).toISOString();
  const batches: Row[][] = [];
  for (let i = 0; i < rows.length; i += BATCH) batches.push(rows.slice(i, i + BATCH));
  const copy = !app.endpoints.embedded;
  const write = async (client: pg.PoolClient, part: Row[], days: number) => {
    if (copy) {
      const text = part.map((r) => `${r.loggerId}\t${shifted(r, days)}\t${r.c}\n`).join('');
      await copyFrom(client, `COPY temperature_readings (logger_id, recorded_at, temperature_c) FROM STDIN`, [Buffer.from(text)]);
    } else {
      await client.query(
        `INSERT INTO temperature_readings (logger_id, recorded_at, temperature_c) SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::real[])`,
        [part.map((r) => r.loggerId), part.map((r) => shifted(r, days)), part.map((r) => r.c)],
      );
    }
  };
  const pool = new pg.Pool({ connectionString: app.endpoints.databaseUrl, max: CONCURRENCY });
  try {
    const batched = await runBounded(batches.length, CONCURRENCY, async (i) => {
      const client = await pool.connect();
      try {
        await write(client, batches[i], 30);
      } finally {
        client.release();
      }
    });
    const client = await pool.connect();
    const t0 = performance.now();
    try {
      await write(client, rows, 60);
    } finally {
      client.release();
    }
    return { batched, single: (rows.length / (performance.now() - t0)) * 1000, label: copy ? 'COPY FROM STDIN' : 'INSERT … FROM unnest via pg (COPY unavailable on PGlite)' };
  } finally {
    await pool.end();
  }
}

/**
 * N loggers × (readings / N) one-minute readings ending now, generated in SQL. Every 25th
 * logger has a 60-minute warm run (an excursion: grace 30 min), every 50th (offset 1) a
 * 100-minute silence (a gap: max 60 min); every logger has 10-minute spikes within grace.
 */
async function detectionBench(app: BenchApp): Promise<void> {
  const total = detectReadings(app.endpoints.embedded);
  const perLogger = Math.floor(total / DETECT_LOGGERS);
  const warmFrom = Math.floor(perLogger / 2);
  const pool = new pg.Pool({ connectionString: app.endpoints.databaseUrl, max: 4 });
  try {
    const [{ user_id: userId }] = (await pool.query(`SELECT id AS user_id FROM users LIMIT 1`)).rows;
    const [{ id: siteId }] = (await pool.query(`INSERT INTO storage_sites (code, name) VALUES ($1, 'Detection bench') RETURNING id`, [`DB-${randomBytes(3).toString('hex')}`])).rows;
    await pool.query(
      `WITH f AS (INSERT INTO freezers (site_id, code, name, set_point_c, alarm_high_c, grace_seconds, max_gap_seconds)
                  SELECT $1, 'DET-' || n, 'Detection freezer ' || n, -80, -60, 1800, 3600 FROM generate_series(1, $2) n RETURNING id, code)
       INSERT INTO temperature_loggers (code, kind, freezer_id, attached_at, key_hash, created_by)
       SELECT 'DL-' || substr(f.code, 5), 'freezer', f.id, now() - make_interval(mins => $3 + 10), md5(random()::text) || md5(random()::text), $4 FROM f`,
      [siteId, DETECT_LOGGERS, perLogger, userId],
    );
    const { rows: ids } = await pool.query(`SELECT id, substr(code, 4)::int AS n FROM temperature_loggers WHERE code LIKE 'DL-%' ORDER BY 2`);
    const t0 = performance.now();
    for (let i = 0; i < ids.length; i += 25) {
      const group = ids.slice(i, i + 25);
      await pool.query(
        `INSERT INTO temperature_readings (logger_id, recorded_at, temperature_c)
         SELECT g.id, date_trunc('minute', now()) - make_interval(mins => $2 - m),
                CASE WHEN g.n % 25 = 0 AND m BETWEEN $3 AND $3 + 59 THEN -40
                     WHEN m % 720 < 10 THEN -55
                     ELSE -80 + (m % 7) * 0.3 END
           FROM unnest($1::uuid[], $4::int[]) AS g(id, n) CROSS JOIN generate_series(1, $2) m
          WHERE NOT (g.n % 50 = 1 AND m BETWEEN $3 + 2000 AND $3 + 2099)`,
        [group.map((r) => r.id), perLogger, warmFrom, group.map((r) => r.n)],
      );
    }
    const generateMs = performance.now() - t0;
    // What ingestion would have set: the newest reading, and everything new since attachment.
    await pool.query(`UPDATE temperature_loggers g SET dirty_from = attached_at, last_reading_at = (SELECT max(recorded_at) FROM temperature_readings r WHERE r.logger_id = g.id) WHERE code LIKE 'DL-%'`);
    await pool.query(`ANALYZE temperature_readings`);
    const [{ stored }] = (await pool.query(`SELECT count(*)::int AS stored FROM temperature_readings r JOIN temperature_loggers g ON g.id = r.logger_id WHERE g.code LIKE 'DL-%'`)).rows;

    const jobs = app.app.get(ColdChainJobs);
    const concurrency = app.endpoints.embedded ? 1 : 4;
    const full = await runBounded(ids.length, concurrency, async (i) => {
      await jobs.detect(ids[i].id, 'bench');
    });
    const { rows: found } = await pool.query(`SELECT x.kind, count(*)::int AS n FROM excursions x JOIN temperature_loggers g ON g.id = x.logger_id WHERE g.code LIKE 'DL-%' GROUP BY x.kind ORDER BY x.kind`);
    const steady = await runBounded(ids.length, concurrency, async (i) => {
      await jobs.detect(ids[i].id, 'bench');
    });
    const expected = { temperature: Math.floor(DETECT_LOGGERS / 25), data_gap: Math.floor((DETECT_LOGGERS + 49) / 50) };
    console.log(`\n  detection over ${fixed(stored, 0)} stored readings for ${ids.length} loggers (${fixed(perLogger, 0)} each, one a minute), concurrency ${concurrency}`);
    table([
      ['generate readings (INSERT … SELECT generate_series)', `${fixed(generateMs / 1000, 1)} s`, `${fixed((stored / generateMs) * 1000, 0)} readings/s`],
      ['full detection (every reading re-read)', `${fixed(full.elapsedMs / 1000, 1)} s`, `${fixed((stored / full.elapsedMs) * 1000, 0)} readings/s; p50 ${fixed(full.p50Ms, 1)} ms, p99 ${fixed(full.p99Ms, 1)} ms per logger`],
      ['steady-state pass (nothing new)', `${fixed(steady.elapsedMs / 1000, 2)} s`, `${fixed(steady.p50Ms, 2)} ms per logger (p50); ${ratio(steady.elapsedMs, full.elapsedMs)} of the full pass`],
      ['excursions found', found.map((f) => `${f.kind} ${f.n}`).join(', ') || 'none', `expected temperature ${expected.temperature}, data_gap ${expected.data_gap}`],
    ]);
  } finally {
    await pool.end();
  }
}
