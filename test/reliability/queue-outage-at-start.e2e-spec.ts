import { OutboxRelay } from '#platform';
import { eventually, TestApp } from '../support/test-app.js';
import { signInAs } from '../support/users.js';
import { isolatedBatch, productWithEffectiveSpec } from '../support/fixtures.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { startWithProxiedPostgresQueue } from './support/queue-proxy-app.js';
import { InProcessWorkers, pendingOutbox, queue, queueIdle, REDIS_URL } from './support/scenario.js';

/**
 * The queue is unreachable from the moment the API starts, so the API's first connection to it
 * is made during the outage (a deploy while Redis or the database restarts). Commands still
 * commit; once the queue is reachable the outbox drains without a restart, and a worker then
 * runs the jobs. Regression test: BullMQ's PostgreSQL backend kept a failed first connection
 * for good (the outbox never drained until a restart), and on Redis a relay pass waited for the
 * first connection inside its transaction.
 */
const outages: { name: string; start(): Promise<{ app: TestApp; proxy: TcpProxy }> }[] = [
  ...(REDIS_URL
    ? [{
        name: 'Redis',
        async start() {
          const proxy = await TcpProxy.start(REDIS_URL!);
          await proxy.close();
          const app = await TestApp.start({ worker: false, queue: 'redis', env: { REDIS_URL: proxy.urlFor(REDIS_URL!) } });
          return { app, proxy };
        },
      }]
    : []),
  {
    name: 'the PostgreSQL queue backend',
    async start() {
      const started = await startWithProxiedPostgresQueue({ worker: false });
      await started.proxy.close();
      return started;
    },
  },
];

describe.each(outages)('$name unreachable from the start', (outage) => {
  let app: TestApp;
  let proxy: TcpProxy;
  const workers = new InProcessWorkers(() => app);

  beforeAll(async () => {
    ({ app, proxy } = await outage.start());
  });
  afterAll(async () => {
    await proxy?.open();
    await workers.stopAll();
    await app?.close();
    await proxy?.close();
  });

  it('commits commands during the outage and drains the outbox once the queue is reachable', async () => {
    const qa = await signInAs(app, 'qa_manager');
    const tech = await signInAs(app, 'technician');
    const { productId } = await productWithEffectiveSpec(app, qa);
    const batchId = await isolatedBatch(app, tech.token, productId);
    expect(await pendingOutbox(app)).toBeGreaterThan(0);
    const down = await app.request('GET', '/health/ready');
    expect(down.status).toBe(503);
    expect(down.body.checks.queue.status).toBe('down');
    // Several relay passes fail (bounded) and leave the rows pending.
    await new Promise((r) => setTimeout(r, 2500));
    expect(await pendingOutbox(app)).toBeGreaterThan(0);
    expect(app.app.get(OutboxRelay).status.lastError).toEqual(expect.stringMatching(/\S/));

    await proxy.open();
    await eventually(async () => (await pendingOutbox(app)) === 0, 20000, 100);
    const ready = await eventually(async () => {
      const res = await app.request('GET', '/health/ready');
      return res.status === 200 ? res : undefined;
    }, 10000, 200);
    expect(ready.body.checks.queue).toMatchObject({ status: 'up', relayError: null });

    // The relayed jobs are real: a worker runs them (the batch's derived summary).
    workers.start();
    await eventually(async () => (await queue(app, 'batch-derived').getCompletedCount()) > 0, 20000, 100);
    await queueIdle(app, 'batch-derived');
    const failed = await queue(app, 'batch-derived').getFailed();
    expect(failed.filter((j) => (j.data as { batchId?: string }).batchId === batchId)).toEqual([]);
  });
});
