import pg from 'pg';
import { activeJobOf, BACKENDS, batchWithOneGateJobWaiting, completedJob, footprint, gateTransitions, InProcessWorkers, queue, queueIdle, scenarioSuite } from './support/scenario.js';

/**
 * The orderly case: the worker is closed (deploy, scale-in, SIGTERM) while a gate job runs.
 * Closing waits for the job, which keeps its lock even past the lock duration, completes once,
 * and is not run again by the next worker. In-process (WorkerHost.beforeApplicationShutdown,
 * what Nest calls on shutdown), on each queue backend and on either database.
 */
describe.each(BACKENDS)('closing the worker while a gate job runs ($name queue)', ({ queue: backend }) => {
  const suite = scenarioSuite(backend, () => workers.stopAll());
  const workers = new InProcessWorkers(() => suite.app);

  it('lets the running gate job finish once; the next worker does not run it again', async () => {
    const { app, tech, productId } = suite;
    const batchId = await batchWithOneGateJobWaiting(app, tech.token, productId, () => workers.startOne());
    // The test's own session locks the batch row, so the handler waits inside its transaction.
    // (On the embedded database an open transaction holds the one session: the handler waits all the same.)
    const holder = new pg.Client({ connectionString: app.endpoints.databaseUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT id FROM batches WHERE id = $1 FOR UPDATE`, [batchId]);
      const host = workers.start();
      const job = await activeJobOf(app, 'release-gate', batchId);
      let closed = false;
      const closing = workers.stop(host).then(() => (closed = true));
      await new Promise((r) => setTimeout(r, app.config.queueLockMs + 1000));
      // Still running past its lock duration: close waits for it and its lock is kept alive.
      expect(closed).toBe(false);
      expect(await queue(app, 'release-gate').getJobState(job.id!)).toBe('active');
      await holder.query('ROLLBACK');
      await closing;

      const done = await completedJob(app, 'release-gate', job.id!);
      expect({ stalled: done.stalledCounter, attempts: done.attemptsMade, returned: done.returnvalue }).toEqual({ stalled: 0, attempts: 1, returned: { state: 'release_pending', passed: true } });
      expect(await gateTransitions(app, batchId)).toEqual({ submit_for_qc_review: 1, gate_passed: 1 });
      const settled = await footprint(app, batchId);

      // A new worker, given a full stalled-check cycle, finds nothing left to do for this batch.
      workers.start();
      await new Promise((r) => setTimeout(r, app.config.queueLockMs + 1000));
      await queueIdle(app, 'release-gate');
      expect(await queue(app, 'release-gate').getJobState(job.id!)).toBe('completed');
      expect(await footprint(app, batchId)).toEqual(settled);
    } finally {
      await holder.end().catch(() => undefined);
    }
  });
});
