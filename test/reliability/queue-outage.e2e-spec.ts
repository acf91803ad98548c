import { performance } from 'node:perf_hooks';
import { OutboxRelay } from '#platform';
import { eventually, TestApp } from '../support/test-app.js';
import { signInAs, type TestUser } from '../support/users.js';
import { isolatedBatch, passingResults, productWithEffectiveSpec } from '../support/fixtures.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { startWithProxiedPostgresQueue } from './support/queue-proxy-app.js';

const REDIS_URL = process.env.REDIS_URL;

interface Outage {
  name: string;
  backend: RegExp;
  start(): Promise<{ app: TestApp; proxy: TcpProxy }>;
}

/**
 * The queue goes away while results are being recorded: commands still commit (the outbox row
 * is part of their transaction), the relay keeps the rows pending without holding a transaction
 * open, /health/ready says the queue is down; once the queue is back the outbox drains and the
 * gate moves the batch, exactly once.
 *
 * The outage is a TCP proxy of the test's own in front of the queue (the shared services are
 * never touched). Redis runs when REDIS_URL is set. BullMQ's PostgreSQL backend always runs:
 * there only the queue's connections go through the proxy, the application database stays up
 * (on DATABASE_URL the queue is the same server's `bullmq` schema; embedded, its own PGlite).
 */
const outages: Outage[] = [
  ...(REDIS_URL
    ? [{
        name: 'Redis',
        backend: /^redis$/,
        async start() {
          const proxy = await TcpProxy.start(REDIS_URL);
          const app = await TestApp.start({ worker: true, queue: 'redis', env: { REDIS_URL: proxy.urlFor(REDIS_URL) } });
          return { app, proxy };
        },
      }]
    : []),
  { name: 'the PostgreSQL queue backend', backend: /^postgres /, start: () => startWithProxiedPostgresQueue({ worker: true }) },
];

describe.each(outages)('$name unavailable while results are recorded', (outage) => {
  let proxy: TcpProxy;
  let app: TestApp;
  let qa: TestUser & { token: string };
  let tech: TestUser & { token: string };
  let productId: string;

  const state = async (id: string) => (await app.query(`SELECT state FROM batches WHERE id = $1`, [id]))[0].state as string;
  const ready = () => app.request('GET', '/health/ready');

  beforeAll(async () => {
    ({ app, proxy } = await outage.start());
    qa = await signInAs(app, 'qa_manager');
    tech = await signInAs(app, 'technician');
    ({ productId } = await productWithEffectiveSpec(app, qa));
  });
  afterAll(async () => {
    await proxy?.open();
    await app?.close();
    await proxy?.close();
  });

  it('saves results during the outage, reports the queue down, and evaluates the gate once the queue is back', async () => {
    const batchId = await isolatedBatch(app, tech.token, productId);
    const before = await ready();
    expect(before.status).toBe(200);
    expect(before.body.checks.queue).toMatchObject({ status: 'up', backend: expect.stringMatching(outage.backend) });

    await proxy.close();
    const down = await eventually(async () => {
      const res = await ready();
      return res.status === 503 ? res : undefined;
    }, 10000, 200);
    expect(down.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(down.headers['retry-after']).toBeDefined();
    expect(down.body).toMatchObject({ status: 503, code: 'service.unavailable' });
    expect(down.body.checks).toMatchObject({ database: { status: 'up' }, queue: { status: 'down', backend: expect.stringMatching(outage.backend) } });

    const timings: number[] = [];
    for (const [route, body] of Object.entries(passingResults())) {
      const t0 = performance.now();
      const res = await app.request('POST', `/batches/${batchId}/results/${route}`, { token: tech.token, body });
      timings.push(performance.now() - t0);
      expect({ route, status: res.status }).toEqual({ route, status: 201 });
    }
    // The commands did not wait on the queue.
    expect(Math.max(...timings)).toBeLessThan(3000);
    const [saved] = await app.query(`SELECT count(*)::int AS n FROM assay_results WHERE batch_id = $1`, [batchId]);
    expect(saved.n).toBe(11);
    // Give the relay several passes: the gate rows must stay pending and the batch unmoved.
    await new Promise((r) => setTimeout(r, 1500));
    const [pending] = await app.query(`SELECT count(*)::int AS n FROM outbox WHERE dispatched_at IS NULL AND job_name = 'release.gate.evaluate' AND dedupe_key = $1`, [batchId]);
    expect(pending.n).toBeGreaterThanOrEqual(1);
    expect(await state(batchId)).toBe('characterization');
    // The relay failed its passes and rolled them back, rather than waiting on the queue inside a transaction.
    expect(app.app.get(OutboxRelay).status.lastError).toEqual(expect.stringMatching(/\S/));
    if (!app.endpoints.embedded) {
      // (A pass is briefly inside its transaction every poll; none may stay there.)
      const [open] = await app.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%' AND xact_start < now() - interval '1 second'`);
      expect(open.n).toBe(0);
    }
    const stillDown = await ready();
    expect(stillDown.status).toBe(503);
    expect(stillDown.body.checks.database.outboxPending).toBeGreaterThanOrEqual(1);

    await proxy.open();
    await eventually(async () => (await app.query(`SELECT count(*)::int AS n FROM outbox WHERE dispatched_at IS NULL`))[0].n === 0, 20000, 100);
    await eventually(async () => (await state(batchId)) === 'release_pending', 20000, 100);
    const transitions = await app.query(`SELECT transition, count(*)::int AS n FROM batch_events WHERE batch_id = $1 AND transition IN ('submit_for_qc_review', 'gate_passed') GROUP BY 1 ORDER BY 1`, [batchId]);
    expect(transitions).toEqual([{ transition: 'gate_passed', n: 1 }, { transition: 'submit_for_qc_review', n: 1 }]);
    const checklist = await app.request('GET', `/batches/${batchId}/release-checklist`, { token: qa.token });
    expect(checklist.body).toMatchObject({ passed: true, stale: false, state: 'release_pending' });
    const back = await eventually(async () => {
      const res = await ready();
      return res.status === 200 ? res : undefined;
    }, 10000, 200);
    expect(back.body.checks.queue).toMatchObject({ status: 'up', relayError: null });
    expect(back.body.checks.database.outboxPending).toBe(0);
  });
});
