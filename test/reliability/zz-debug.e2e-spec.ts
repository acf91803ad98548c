import { OutboxRelay, QueueRegistry } from '#platform';
import { eventually } from '../support/test-app.js';
import { startWithProxiedPostgresQueue } from './support/queue-proxy-app.js';
const log = (...a: unknown[]) => process.stderr.write(`[dbg ${new Date().toISOString().slice(17, 23)}] ${a.join(' ')}\n`);
it('pg queue first used during outage', async () => {
  const { app, proxy } = await startWithProxiedPostgresQueue({ worker: false, env: { LOG_LEVEL: 'error' } });
  await proxy.close();
  await app.query(`INSERT INTO outbox (job_name, queue_name, dedupe_key, payload) VALUES ('batch.summary.recompute', 'batch-derived', 'x', '{"batchId":"x"}')`);
  await app.app.get(OutboxRelay).drain();
  log('lastError', app.app.get(OutboxRelay).status.lastError);
  await proxy.open();
  try {
    await eventually(async () => { await app.app.get(OutboxRelay).drain(); return (await app.query(`SELECT count(*)::int AS n FROM outbox WHERE dispatched_at IS NULL`))[0].n === 0; }, 10000, 200);
    log('drained');
  } catch (e) {
    log('NOT drained', app.app.get(OutboxRelay).status.lastError);
  }
  const r = await app.request('GET', '/health/ready');
  log('ready', r.status, JSON.stringify(r.body.checks?.queue).slice(0, 200));
  await app.close();
  await proxy.close();
}, 60000);
