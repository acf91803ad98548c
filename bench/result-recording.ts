import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { BenchApp } from './bench-app.js';
import { ago, isolatedBatch, lab } from './lab-fixtures.js';
import { type BenchSection, fixed, heading, type LoadResult, loadRow, runBounded, table } from './section.js';

const RESULTS = Number(process.env.BENCH_RESULTS ?? 500);
const IMPORTS = Number(process.env.BENCH_IMPORTS ?? 100);
const CONCURRENCY = 8;
const BATCHES = 8;
const NTA_SAMPLE = fileURLToPath(new URL('../../libs/instruments/test/fixtures/nanosight_beads_nta3.2.csv', import.meta.url));

const ntaBody = () => ({
  performedAt: ago(5), instrument: 'NanoSight NS300',
  data: { meanNm: 121.4, modeNm: 104.2, d10Nm: 78, d50Nm: 110, d90Nm: 198, concentrationPerMl: 3.1e11, dilutionFactor: 1000, videoCount: 5 },
});

/**
 * (b) Result recording through HTTP (validation, specification evaluation, audit, one
 * transaction per result) against plain INSERTs of the same rows with pg, in the same run.
 */
export const recordingSection: BenchSection = {
  name: 'recording',
  title: 'result recording through HTTP vs plain INSERT of the same rows',
  async run() {
    heading(this);
    const started = Date.now();
    const app = await BenchApp.start();
    try {
      const bootMs = Date.now() - started;
      const { tech, batches } = await setUp(app);
      const json = await runBounded(RESULTS, CONCURRENCY, async (i) => {
        await app.expect(201, 'POST', `/batches/${batches[i % batches.length]}/results/nta`, { token: tech, json: ntaBody() });
      });
      const form = importForm();
      const imports = await runBounded(IMPORTS, CONCURRENCY, async (i) => {
        await app.expect(201, 'POST', `/batches/${batches[i % batches.length]}/results/import`, { token: tech, body: form.payload, headers: form.headers });
      });
      const baseline = await plainInserts(app);
      console.log(`  ${app.backend}, booted and migrated in ${fixed(bootMs / 1000, 1)} s; real HTTP on ${app.baseUrl}, ${BATCHES} batches, concurrency ${CONCURRENCY}`);
      table([
        loadRow('plain INSERT assay_results (pg, baseline)', baseline.results, 'results/s'),
        loadRow('POST /batches/:id/results/nta (JSON)', json, 'results/s', baseline.results),
        loadRow('plain INSERT file + result (pg, baseline)', baseline.imports, 'results/s'),
        loadRow(`POST …/results/import (NTA CSV, ${fixed(form.fileBytes / 1024, 0)} KiB)`, imports, 'results/s', baseline.imports),
      ]);
    } finally {
      await app.close();
    }
  },
};

async function setUp(app: BenchApp): Promise<{ tech: string; batches: string[] }> {
  const bench = await lab(app, { codePrefix: 'BENCH' });
  const batches: string[] = [];
  for (let b = 0; b < BATCHES; b++) batches.push(await isolatedBatch(app, bench));
  return { tech: bench.tech, batches };
}

function importForm(): { payload: Buffer; headers: Record<string, string>; fileBytes: number } {
  const file = fs.readFileSync(NTA_SAMPLE);
  const boundary = `----exolot-bench-${randomBytes(8).toString('hex')}`;
  const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const payload = Buffer.concat([
    Buffer.from(field('assay', 'nta') + field('performedAt', ago(5)) + field('instrument', 'NanoSight NS300')),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="nanosight.csv"\r\nContent-Type: text/csv\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, fileBytes: file.length };
}

/** The same rows the API wrote, inserted again with one autocommit INSERT each at the same concurrency. */
async function plainInserts(app: BenchApp): Promise<{ results: LoadResult; imports: LoadResult }> {
  const pool = new pg.Pool({ connectionString: app.endpoints.databaseUrl, max: CONCURRENCY });
  try {
    const { rows } = await pool.query(
      `SELECT batch_id, assay, specification_id, data, derived, verdicts, outcome, instrument, performed_at, recorded_by, instrument_file_id FROM assay_results ORDER BY recorded_at`,
    );
    const jsonRows = rows.filter((r) => r.instrument_file_id === null).slice(0, RESULTS);
    const insertResult = (row: Record<string, any>, fileId: string | null, q: pg.Pool | pg.PoolClient = pool) =>
      q.query(
        `INSERT INTO assay_results (batch_id, assay, lineage_id, version, specification_id, data, derived, verdicts, outcome, instrument, instrument_file_id, performed_at, recorded_by)
         VALUES ($1, $2, gen_random_uuid(), 1, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [row.batch_id, row.assay, row.specification_id, JSON.stringify(row.data), JSON.stringify(row.derived), JSON.stringify(row.verdicts), row.outcome, row.instrument, fileId, row.performed_at, row.recorded_by],
      );
    const results = await runBounded(jsonRows.length, CONCURRENCY, async (i) => {
      await insertResult(jsonRows[i], null);
    });

    const { rows: files } = await pool.query(`SELECT id, batch_id, file_name, media_type, format, size_bytes, sha256, content, parsed, uploaded_by FROM instrument_files ORDER BY uploaded_at`);
    const byFile = new Map(rows.filter((r) => r.instrument_file_id !== null).map((r) => [r.instrument_file_id, r]));
    const imports = await runBounded(files.length, CONCURRENCY, async (i) => {
      const f = files[i];
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const { rows: [stored] } = await client.query(
          `INSERT INTO instrument_files (batch_id, file_name, media_type, format, size_bytes, sha256, content, parsed, uploaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
          [f.batch_id, f.file_name, f.media_type, f.format, f.size_bytes, f.sha256, f.content, JSON.stringify(f.parsed), f.uploaded_by],
        );
        await insertResult(byFile.get(f.id)!, stored.id, client);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    });
    return { results, imports };
  } finally {
    await pool.end();
  }
}
