import { performance } from 'node:perf_hooks';
import type { Job } from 'bullmq';
import pg from 'pg';
import { JobHandlerRegistry, QueueBackend, QueueRegistry, WorkerHost } from '#platform';
import { BenchApp } from './bench-app.js';
import { isolatedBatch, lab, passingResults } from './lab-fixtures.js';
import { type BenchSection, fixed, heading, percentile, ratio, runBounded, table } from './section.js';

const BATCHES = Number(process.env.BENCH_GATE_BATCHES ?? 200);
const CONCURRENCY = 20;
const POLL_MS = 10;
const WAIT_LIMIT_MS = 120_000;

interface Latencies { p50: number; p99: number; max: number; n: number; wallMs: number }

interface BackendFigures { kind: 'redis' | 'postgres'; label: string; concurrency: number; bareOne: Latencies; bareLoaded: Latencies; gate: Latencies; onceEach: boolean }

/**
 * (d) Release-gate latency: from the commit of a batch's last required result (its HTTP 201) to
 * the batch being release pending (outbox → relay → BullMQ → gate job → transition), p50/p99
 * over 200 batches completing concurrently; beside a bare BullMQ add → completed round trip
 * (no-op job) on the same backend in the same run. Redis when DATABASE_URL and REDIS_URL are
 * set; BullMQ's PostgreSQL backend always.
 */
export const gateLatencySection: BenchSection = {
  name: 'gate',
  title: `release-gate latency (last result committed → release pending), ${BATCHES} batches at once, vs a bare BullMQ round trip`,
  async run() {
    heading(this);
    const figures: BackendFigures[] = [];
    if (process.env.DATABASE_URL && process.env.REDIS_URL) figures.push(await measure('redis'));
    else console.log('  Redis: not measured (needs DATABASE_URL and REDIS_URL; the embedded database runs its queue on PGlite)');
    figures.push(await measure('postgres'));

    for (const f of figures) {
      console.log(`\n  ${f.label}; worker concurrency ${f.concurrency} per queue, in the API process; last results at ${CONCURRENCY} in flight; release_pending polled every ${POLL_MS} ms`);
      table([
        row('bare BullMQ add → completed, one at a time', f.bareOne),
        row(`bare BullMQ add → completed, ${f.bareLoaded.n} at ${CONCURRENCY} in flight (baseline)`, f.bareLoaded),
        row('gate: last result committed → release_pending', f.gate, `${ratio(f.gate.p50, f.bareLoaded.p50)} p50, ${ratio(f.gate.p99, f.bareLoaded.p99)} p99 of the baseline; ${ratio(f.gate.p50, f.bareOne.p50)} p50 of one at a time`),
        ['check: each batch moved once', f.onceEach ? 'yes' : 'NO', f.onceEach ? `${f.gate.n} gate_passed events for ${f.gate.n} batches` : 'duplicate or missing gate_passed events'],
      ]);
    }
    const redis = figures.find((f) => f.kind === 'redis');
    const postgres = figures.find((f) => f.kind === 'postgres');
    if (redis && postgres) {
      console.log('');
      table([
        ['PostgreSQL backend vs Redis, gate p50', ratio(postgres.gate.p50, redis.gate.p50), `p99 ${ratio(postgres.gate.p99, redis.gate.p99)}`],
        ['PostgreSQL backend vs Redis, bare round trip p50 (loaded)', ratio(postgres.bareLoaded.p50, redis.bareLoaded.p50), `p99 ${ratio(postgres.bareLoaded.p99, redis.bareLoaded.p99)}`],
      ]);
    }
  },
};

function row(label: string, l: Latencies, extra?: string): [string, string, string] {
  return [label, `p50 ${fixed(l.p50, 1)} ms`, `p99 ${fixed(l.p99, 1)} ms, max ${fixed(l.max, 1)} ms, n=${l.n}, all done in ${fixed(l.wallMs / 1000, 2)} s${extra ? `; ${extra}` : ''}`];
}

function summarize(values: number[], wallMs: number): Latencies {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1], n: sorted.length, wallMs };
}

/** BenchApp follows DATABASE_URL/REDIS_URL; for the PostgreSQL backend REDIS_URL is hidden while it boots. */
async function startApp(backend: 'redis' | 'postgres'): Promise<BenchApp> {
  const redisUrl = process.env.REDIS_URL;
  if (backend === 'postgres') delete process.env.REDIS_URL;
  try {
    return await BenchApp.start();
  } finally {
    if (redisUrl !== undefined) process.env.REDIS_URL = redisUrl;
  }
}

async function measure(backend: 'redis' | 'postgres'): Promise<BackendFigures> {
  const app = await startApp(backend);
  const queueBackend = app.app.get(QueueBackend);
  if (queueBackend.spec.kind !== backend) throw new Error(`expected the ${backend} queue backend, got ${queueBackend.spec.kind}`);
  const spec = queueBackend.spec;
  const label = `${spec.kind === 'redis' ? 'Redis queue' : `PostgreSQL queue (${spec.label})`}; application database: ${app.backend}`;
  const host = new WorkerHost(queueBackend, app.app.get(JobHandlerRegistry), app.config);
  const poller = new pg.Pool({ connectionString: app.endpoints.databaseUrl, max: 1 });
  try {
    const prepStarted = performance.now();
    const { tech, batches } = await prepare(app);
    // The preparation's own gate and summary jobs are dropped unrun: the gate re-reads everything,
    // so the measured run does the same work either way, and the preparation costs HTTP time only.
    await dropPreparationJobs(app, poller);
    console.log(`  ${label}: ${batches.length} batches prepared (each missing its last result) in ${fixed((performance.now() - prepStarted) / 1000, 1)} s`);
    // The product's worker, in the API process as `npm start` runs it.
    host.onApplicationBootstrap();
    const gate = await gateLatency(app, poller, tech, batches);
    const [{ n: passedEvents }] = (await poller.query(`SELECT count(*)::int AS n FROM batch_events WHERE transition = 'gate_passed' AND batch_id = ANY($1::uuid[])`, [batches])).rows;
    const [{ n: batchesPassed }] = (await poller.query(`SELECT count(DISTINCT batch_id)::int AS n FROM batch_events WHERE transition = 'gate_passed' AND batch_id = ANY($1::uuid[])`, [batches])).rows;
    const bare = await bareRoundTrip(queueBackend, app.config.workerConcurrency);
    return { kind: backend, label, concurrency: app.config.workerConcurrency, bareOne: bare.one, bareLoaded: bare.loaded, gate, onceEach: passedEvents === batches.length && batchesPassed === batches.length };
  } finally {
    await poller.end().catch(() => undefined);
    await host.beforeApplicationShutdown();
    if (backend === 'redis') {
      // Redis is shared: leave nothing under the bench's queue prefix.
      await Promise.all(app.app.get(QueueRegistry).all().map((q) => q.obliterate({ force: true }).catch(() => undefined)));
    }
    await app.close();
  }
}

/** A product with an effective specification, then BATCHES isolated batches with every result but the last. */
async function prepare(app: BenchApp): Promise<{ tech: string; batches: string[] }> {
  const bench = await lab(app, { codePrefix: 'GATE' });
  const results = passingResults().slice(0, -1);
  const batches: string[] = new Array(BATCHES);
  await runBounded(BATCHES, CONCURRENCY, async (i) => {
    const batchId = await isolatedBatch(app, bench);
    for (const [route, body] of results) await app.expect(201, 'POST', `/batches/${batchId}/results/${route}`, { token: bench.tech, json: body });
    batches[i] = batchId;
  });
  return { tech: bench.tech, batches };
}

/** Once the relay has handed every preparation row to the queue, removes those jobs (no worker has run yet). */
async function dropPreparationJobs(app: BenchApp, poller: pg.Pool): Promise<void> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  for (;;) {
    const [{ n: pending }] = (await poller.query(`SELECT count(*)::int AS n FROM outbox WHERE dispatched_at IS NULL`)).rows;
    if (pending === 0) break;
    if (Date.now() > deadline) throw new Error(`the outbox did not drain within ${WAIT_LIMIT_MS / 1000} s: ${pending} rows pending`);
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const queue of app.app.get(QueueRegistry).all()) {
    await queue.drain(true);
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    if (Object.values(counts).some((n) => n > 0)) throw new Error(`queue ${queue.name} is not empty after the preparation: ${JSON.stringify(counts)}`);
  }
}

/** Records every batch's last result (bounded concurrency) and times each to release_pending. */
async function gateLatency(app: BenchApp, poller: pg.Pool, tech: string, batches: string[]): Promise<Latencies> {
  const [route, body] = passingResults().at(-1)!;
  const committedAt = new Map<string, number>();
  const latencies: number[] = [];
  let polling = true;
  // A cheap poll on its own connection: which committed batches are release pending now.
  const poll = (async () => {
    const deadline = Date.now() + WAIT_LIMIT_MS;
    while (polling) {
      const waiting = [...committedAt.keys()];
      if (waiting.length > 0) {
        const { rows } = await poller.query(`SELECT id FROM batches WHERE state = 'release_pending' AND id = ANY($1::uuid[])`, [waiting]);
        const seenAt = performance.now();
        for (const { id } of rows) {
          latencies.push(seenAt - committedAt.get(id)!);
          committedAt.delete(id);
        }
      }
      if (latencies.length === batches.length) return;
      if (Date.now() > deadline) throw new Error(`only ${latencies.length} of ${batches.length} batches became release pending within ${WAIT_LIMIT_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();
  poll.catch(() => undefined); // awaited below; this only keeps an early failure from being "unhandled"
  const started = performance.now();
  try {
    await runBounded(batches.length, CONCURRENCY, async (i) => {
      await app.expect(201, 'POST', `/batches/${batches[i]}/results/${route}`, { token: tech, json: body });
      committedAt.set(batches[i], performance.now());
    });
    await poll;
  } finally {
    polling = false;
  }
  return summarize(latencies, performance.now() - started);
}

/**
 * A no-op job through the same backend, connection settings and worker concurrency: add → the
 * worker's own 'completed' event (in this process; no QueueEvents stream involved).
 */
async function bareRoundTrip(backend: QueueBackend, concurrency: number): Promise<{ one: Latencies; loaded: Latencies }> {
  const name = 'bench-roundtrip';
  const queue = backend.createQueue(name);
  const addedAt = new Map<string, number>();
  const done = new Map<string, () => void>();
  const latencies: number[] = [];
  const worker = backend.createWorker(name, async () => undefined, { concurrency, autorun: true });
  worker.on('completed', (job: Job) => {
    const at = performance.now();
    latencies.push(at - addedAt.get(job.id!)!);
    done.get(job.id!)?.();
  });
  const roundTrip = async (id: string) => {
    const finished = new Promise<void>((resolve) => done.set(id, resolve));
    addedAt.set(id, performance.now());
    await queue.add('noop', {}, { jobId: id, removeOnComplete: true });
    await finished;
  };
  try {
    await worker.waitUntilReady();
    for (let i = 0; i < 20; i++) await roundTrip(`warm-${i}`); // connections, scripts, JIT
    latencies.length = 0;
    let t0 = performance.now();
    for (let i = 0; i < BATCHES; i++) await roundTrip(`one-${i}`);
    const one = summarize(latencies, performance.now() - t0);
    latencies.length = 0;
    t0 = performance.now();
    await runBounded(BATCHES, CONCURRENCY, (i) => roundTrip(`loaded-${i}`));
    const loaded = summarize(latencies, performance.now() - t0);
    return { one, loaded };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}
