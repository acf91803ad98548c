import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import Fastify from 'fastify';
import pg from 'pg';
import { seededRandom } from '#instruments';
import { ProvenanceRepository } from '#provenance';
import { gtinCheckDigit } from '#storage';
import { BenchApp } from './bench-app.js';
import { type LoadFigures, runHttpLoad } from './http-load.js';
import { lab, releasedBatch } from './lab-fixtures.js';
import { type BenchSection, fixed, heading, ratio, table } from './section.js';

const LARGE = Number(process.env.BENCH_LOOKUP_VIALS ?? 1_000_000);
const SMALL = Math.min(10_000, LARGE);
const CLIENTS = Number(process.env.BENCH_LOOKUP_CLIENTS ?? 100);
const SECONDS = Number(process.env.BENCH_LOOKUP_SECONDS ?? 10);
const WARM_UP_MS = 2_000;
const CHUNK = 50_000;
const SAMPLE = 20_000;

/** The generated vials' serials: deterministic, random-looking, valid (16 of [0-9A-F]). */
const serialOf = (i: number) => createHash('md5').update(`bench-vial-${i}`).digest('hex').slice(0, 16).toUpperCase();

interface SizeFigures { vials: number; bare: LoadFigures; serial: LoadFigures; digitalLink: LoadFigures; lot: LoadFigures }

/**
 * (f) Public provenance lookup: GET /verify/{code} (rate limit, code parsing, the lookup's
 * queries, verdict, facts, Ed25519 signature) at CLIENTS concurrent keep-alive clients, beside a
 * bare Fastify route answering one indexed pg query for the same vial, in the same run, against
 * SMALL and then LARGE vials (the same database topped up), so growth with the table shows.
 */
export const lookupSection: BenchSection = {
  name: 'lookup',
  title: `provenance lookup at ${CLIENTS} concurrent clients, ${SMALL.toLocaleString('en-US')} and ${LARGE.toLocaleString('en-US')} vials, vs a bare Fastify + pg route`,
  async run() {
    heading(this);
    const app = await BenchApp.start({ VERIFY_RATE_LIMIT_PER_MIN: '1000000' });
    const bare = await bareServer(app);
    try {
      const started = performance.now();
      const world = await prepare(app);
      console.log(`  ${app.backend}; one released lot ${world.lotNumber}, its vials filled through the API and then generated in SQL; prepared in ${fixed((performance.now() - started) / 1000, 1)} s`);
      const sizes: SizeFigures[] = [];
      for (const size of [SMALL, LARGE]) {
        const grown = performance.now();
        await growTo(app, world, size);
        console.log(`  ${size.toLocaleString('en-US')} vials (+ as many custody events) in place in ${fixed((performance.now() - grown) / 1000, 1)} s; ${await tableSizes(app)}`);
        console.log(`  plans: ${await lookupPlans(app, world)}`);
        sizes.push(await measureAt(app, bare.url, world, size));
        if (size === LARGE) break;
      }
      report(sizes);
    } finally {
      await bare.close();
      await app.close();
    }
  },
};

interface World { batchId: string; lotNumber: string; gtin: string; template: Record<string, unknown>; generated: number }

async function prepare(app: BenchApp): Promise<World> {
  const body = '0950600' + String(Date.now() % 1_000_000).padStart(6, '0');
  const gtin = `${body}${gtinCheckDigit(body)}`;
  const bench = await lab(app, { codePrefix: 'LOOKUP', gtin });
  const { batchId, lotNumber } = await releasedBatch(app, bench);
  const fill = await app.expect(201, 'POST', `/batches/${batchId}/fills`, {
    token: bench.tech, json: { solutionName: 'HA 1% reconstitution solution', solutionLot: 'HA-2611-07', vials: Array.from({ length: 10 }, () => ({ volumeMl: 0.1 })) },
  });
  // The generated vials copy a vial the API filled, received at a clinic: a verified lookup.
  const template = await app.withClient(async (c) => {
    const { rows: [vial] } = await c.query(`SELECT * FROM vials WHERE serial = $1`, [fill.vials[0].serial]);
    const { rows: [custody] } = await c.query(`SELECT actor_id, actor_name FROM custody_events WHERE vial_id = $1 AND kind = 'filled'`, [vial.id]);
    return { ...vial, actor_id: custody.actor_id, actor_name: custody.actor_name };
  });
  const answer = await app.expect(200, 'GET', `/verify/${fill.vials[0].serial}`);
  if (answer.verdict !== 'verified') throw new Error(`the filled vial should verify: ${JSON.stringify(answer)}`);
  return { batchId, lotNumber, gtin, template, generated: 0 };
}

/**
 * Adds generated vials (each with filled and received custody events) until `size` exist in all.
 * Rows go in in key order (id and serial both come from the same MD5, so one sort orders both):
 * random-order inserts into three large B-trees are what made a 1,000,000-vial load crawl on
 * the embedded database, and the order of loading does not change what a lookup reads.
 */
async function growTo(app: BenchApp, world: World, size: number): Promise<void> {
  const t = world.template;
  await app.withClient(async (c) => {
    const { rows: [{ n: existing }] } = await c.query(`SELECT count(*)::int AS n FROM vials`);
    const adding = size - existing;
    if (adding <= 0) return;
    const first = world.generated + 1;
    await c.query(`DROP TABLE IF EXISTS bench_keys`);
    await c.query(
      `CREATE TEMP TABLE bench_keys AS
         SELECT i, h, row_number() OVER (ORDER BY h) AS rn FROM (SELECT i, md5('bench-vial-' || i) AS h FROM generate_series($1::int, $2::int) AS i) k`,
      [first, first + adding - 1],
    );
    await c.query(`CREATE INDEX ON bench_keys (rn)`);
    for (let from = 1; from <= adding; from += CHUNK) {
      await c.query(
        `WITH added AS (
           INSERT INTO vials (id, serial, batch_id, fill_id, fill_index, purpose, volume_ml, solution_name, solution_lot, filled_at, expiry_date, status, created_by)
           SELECT h::uuid, upper(substr(h, 1, 16)), $3, $4, i, 'dose', $5, $6, $7, $8, $9, 'received', $10
             FROM bench_keys WHERE rn BETWEEN $1 AND $2 ORDER BY rn
           RETURNING id, filled_at)
         INSERT INTO custody_events (vial_id, kind, actor_id, actor_name, occurred_at)
         SELECT id, kind, $10, $11, filled_at + offset_by FROM added, (VALUES ('filled', interval '0'), ('received', interval '2 days')) AS k(kind, offset_by)
          ORDER BY id, offset_by`,
        [from, Math.min(from + CHUNK - 1, adding), t.batch_id, t.fill_id, t.volume_ml, t.solution_name, t.solution_lot, t.filled_at, t.expiry_date, t.actor_id ?? t.created_by, t.actor_name],
      );
    }
    await c.query(`DROP TABLE bench_keys`);
    world.generated = first + adding - 1;
    await c.query('ANALYZE vials');
    await c.query('ANALYZE custody_events');
  });
}

/** What the lookup's own queries (taken from the repository, not copied) scan, from EXPLAIN: no sequential scan may appear. */
async function lookupPlans(app: BenchApp, world: World): Promise<string> {
  const statements: [string, unknown[]][] = [];
  const recorder = { query: async (sql: string, params: unknown[]) => (statements.push([sql, params]), []) } as never;
  const repo = new ProvenanceRepository();
  await repo.vialBySerial(recorder, serialOf(1));
  await repo.lotByNumber(recorder, world.lotNumber);
  const scans = new Set<string>();
  const walk = (node: Record<string, any>) => {
    if (node['Index Name']) scans.add(`${node['Node Type']} using ${node['Index Name']}`);
    else if (node['Relation Name']) scans.add(`${node['Node Type']} on ${node['Relation Name']}`);
    for (const child of node.Plans ?? []) walk(child);
  };
  await app.withClient(async (c) => {
    for (const [sql, params] of statements) walk((await c.query(`EXPLAIN (FORMAT JSON) ${sql}`, params)).rows[0]['QUERY PLAN'][0].Plan);
  });
  const sequential = [...scans].filter((s) => s.startsWith('Seq Scan'));
  return `${[...scans].sort().join('; ')}${sequential.length ? ` — WARNING: sequential scans: ${sequential.join(', ')}` : ''}`;
}

async function tableSizes(app: BenchApp): Promise<string> {
  return app.withClient(async (c) => {
    const { rows: [r] } = await c.query(
      `SELECT (SELECT count(*) FROM vials)::int AS vials, (SELECT count(*) FROM custody_events)::int AS custody,
              pg_size_pretty(pg_total_relation_size('vials')) AS vials_size, pg_size_pretty(pg_total_relation_size('custody_events')) AS custody_size`,
    );
    return `vials ${r.vials.toLocaleString('en-US')} rows (${r.vials_size} with indexes), custody events ${r.custody.toLocaleString('en-US')} (${r.custody_size})`;
  });
}

async function measureAt(app: BenchApp, bareUrl: string, world: World, size: number): Promise<SizeFigures> {
  const random = seededRandom(size);
  const serials = Array.from({ length: Math.min(SAMPLE, world.generated) }, () => serialOf(1 + Math.floor(random() * world.generated)));
  const plan = { clients: CLIENTS, warmUpMs: WARM_UP_MS, durationMs: SECONDS * 1000 };
  const run = async (label: string, baseUrl: string, paths: string[], expectBody: string) => {
    const figures = await runHttpLoad({ ...plan, baseUrl, paths, expectBody });
    if (figures.failures) throw new Error(`${label} at ${size} vials: ${figures.failures} unexpected answers, first: ${figures.firstFailure}`);
    return figures;
  };
  return {
    vials: size,
    bare: await run('bare route', bareUrl, serials.map((s) => `/vial/${s}`), '"status":"received"'),
    serial: await run('/verify/{serial}', app.baseUrl, serials.map((s) => `/verify/${s}`), '"verdict":"verified"'),
    digitalLink: await run('Digital Link', app.baseUrl, serials.map((s) => `/01/${world.gtin}/10/${encodeURIComponent(world.lotNumber)}/21/${s}`), '"verdict":"verified"'),
    lot: await run('/verify/{lot}', app.baseUrl, [`/verify/${encodeURIComponent(world.lotNumber)}`], '"verdict":"verified"'),
  };
}

/** The baseline: Fastify, one pooled pg connection per request (same pool size as the API), one indexed query. */
async function bareServer(app: BenchApp): Promise<{ url: string; close: () => Promise<void> }> {
  const pool = new pg.Pool({ connectionString: app.endpoints.databaseUrl, max: app.config.dbPoolSize });
  const server = Fastify({ logger: false });
  server.get<{ Params: { serial: string } }>('/vial/:serial', async (request, reply) => {
    const { rows: [vial] } = await pool.query(`SELECT id, serial, batch_id, status, expiry_date FROM vials WHERE serial = $1`, [request.params.serial]);
    if (!vial) return reply.code(404).send({ found: false });
    return vial;
  });
  const url = await server.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: async () => { await server.close(); await pool.end(); } };
}

function report(sizes: SizeFigures[]): void {
  const rows: [string, string, string][] = [];
  for (const s of sizes) {
    const label = `${s.vials.toLocaleString('en-US')} vials`;
    const line = (name: string, f: LoadFigures, baseline?: LoadFigures): [string, string, string] => [
      `${label}: ${name}`,
      `${fixed(f.perSecond, 0)} req/s`,
      `p50 ${fixed(f.p50Ms, 2)} ms, p99 ${fixed(f.p99Ms, 2)} ms, n=${f.requests}${baseline ? `; ${ratio(f.perSecond, baseline.perSecond)} of baseline throughput, p50 ${ratio(f.p50Ms, baseline.p50Ms)}` : ''}`,
    ];
    rows.push(
      line('bare Fastify + one indexed pg query (baseline)', s.bare),
      line('GET /verify/{serial}', s.serial, s.bare),
      line('GET /01/{gtin}/10/{lot}/21/{serial} (label scan, JSON)', s.digitalLink, s.bare),
      line('GET /verify/{lot}', s.lot, s.bare),
    );
  }
  console.log(`  ${CLIENTS} concurrent keep-alive clients (worker thread), ${WARM_UP_MS / 1000} s warm-up then ${SECONDS} s measured per row; random serials from the whole table`);
  table(rows);
  if (sizes.length === 2) {
    const [small, large] = sizes;
    console.log(`\n  Growth ${large.vials.toLocaleString('en-US')} vs ${small.vials.toLocaleString('en-US')} vials (throughput ratio; p50 ratio):`);
    table([
      ['bare route', ratio(large.bare.perSecond, small.bare.perSecond), `p50 ${ratio(large.bare.p50Ms, small.bare.p50Ms)}`],
      ['GET /verify/{serial}', ratio(large.serial.perSecond, small.serial.perSecond), `p50 ${ratio(large.serial.p50Ms, small.serial.p50Ms)}`],
      ['label scan (Digital Link)', ratio(large.digitalLink.perSecond, small.digitalLink.perSecond), `p50 ${ratio(large.digitalLink.p50Ms, small.digitalLink.p50Ms)}`],
      ['GET /verify/{lot}', ratio(large.lot.perSecond, small.lot.perSecond), `p50 ${ratio(large.lot.p50Ms, small.lot.p50Ms)}`],
    ]);
  }
}
