import pg from 'pg';
import { eventually } from '../support/test-app.js';
import { WorkerProcess } from './support/worker-process.js';
import {
  activeJobOf, approveRelease, BACKENDS, batchState, batchWithOneGateJobWaiting, expectCertificateRerunOnce, expectGateRerunOnce, gateTransitions, InProcessWorkers,
  LOCK_ENV, outboxDrained, queue, releasePendingBatch, REDIS_URL, scenarioSuite, takeAndDie,
} from './support/scenario.js';

/**
 * A worker dies while it runs a job: the job was claimed, its handler is half-way, and the
 * process is gone. BullMQ gives the job back once its lock expires (QUEUE_LOCK_MS) and the next
 * worker runs it; the handler re-reads the state, so the batch moves once and once only.
 *
 * Which cases run depends on the database:
 * - DATABASE_URL set: real worker processes (dist/apps/worker/src/main.js) are SIGKILLed while
 *   their handler waits on a row lock the test holds, i.e. inside its transaction. Needs the
 *   build. This is the real thing, on each queue backend.
 * - embedded (no DATABASE_URL): a second process cannot share the embedded PGlite (the worker
 *   entry point refuses to start without DATABASE_URL), and a PGlite row lock cannot be held
 *   from another connection without stopping every session. So the dying worker is a BullMQ
 *   Worker in this process that claims the job and then stops for good without finishing it
 *   (force-closed: no lock renewal, no completion), which is what a killed process leaves
 *   behind in the queue; an uncommitted transaction of a dead process leaves nothing in the
 *   database. The recovery is the product's WorkerHost, with the product's lock settings.
 */
const SEPARATE_PROCESSES = Boolean(process.env.DATABASE_URL);

if (SEPARATE_PROCESSES) {
  describe.each(BACKENDS)('a worker process killed mid-job ($name queue)', ({ queue: backend }) => {
    let holder: pg.Client | undefined;
    const workers: WorkerProcess[] = [];
    const suite = scenarioSuite(backend, async () => {
      await release().catch(() => undefined);
      await Promise.all(workers.map((w) => w.kill()));
    });

    const startWorker = () => {
      const worker = WorkerProcess.start({
        DATABASE_URL: suite.app.endpoints.databaseUrl,
        QUEUE_PREFIX: suite.app.config.queuePrefix,
        QUEUE_LOCK_MS: LOCK_ENV.QUEUE_LOCK_MS,
        ...(backend === 'redis' ? { REDIS_URL: REDIS_URL! } : {}),
      });
      workers.push(worker);
      return worker;
    };
    /** The test's own session: BEGIN and lock something a handler needs, so the handler waits inside its transaction. */
    const hold = async (lockSql: string, values: unknown[] = []) => {
      holder = new pg.Client({ connectionString: suite.app.endpoints.databaseUrl, application_name: 'reliability-test-lock' });
      await holder.connect();
      await holder.query('BEGIN');
      await holder.query(lockSql, values);
      const [{ pid }] = (await holder.query(`SELECT pg_backend_pid() AS pid`)).rows;
      return pid as number;
    };
    const release = async () => {
      await holder?.query('ROLLBACK');
      await holder?.end();
      holder = undefined;
    };
    /** A worker process's session is waiting on the test's lock: the handler is inside its transaction. */
    const workerBlockedBy = (holderPid: number) =>
      eventually(async () => {
        const rows = await suite.app.query(`SELECT pid FROM pg_stat_activity WHERE application_name = 'exolot-worker' AND $1 = ANY(pg_blocking_pids(pid))`, [holderPid]);
        return rows.length > 0;
      }, 40000, 50); // a worker process boots and reaches the lock in seconds; a loaded CI machine can take far longer

    it('re-runs a gate job whose worker was killed inside the handler; the batch becomes release pending once', async () => {
      const { app, tech, productId } = suite;
      // Everything but the last result, evaluated by a first worker that then stops cleanly;
      // the last result commits while no worker runs, so its gate job waits in the queue.
      const batchId = await batchWithOneGateJobWaiting(app, tech.token, productId, async () => {
        const first = startWorker();
        return async () => expect(await first.stop()).toEqual({ code: 0, signal: null });
      });
      const holderPid = await hold(`SELECT id FROM batches WHERE id = $1 FOR UPDATE`, [batchId]);

      const doomed = startWorker();
      const job = await activeJobOf(app, 'release-gate', batchId);
      expect(job.name).toBe('release.gate.evaluate');
      await workerBlockedBy(holderPid);
      await doomed.kill();
      expect(await doomed.exited).toEqual({ code: null, signal: 'SIGKILL' });
      await release();

      // Nothing of the dead worker's half-run survives, and nobody finished its job.
      await new Promise((r) => setTimeout(r, 300));
      expect(await batchState(app, batchId)).toBe('characterization');
      expect(await queue(app, 'release-gate').getJobState(job.id!)).toBe('active');

      const next = startWorker();
      await expectGateRerunOnce(app, batchId, job.id!);
      expect(next.alive).toBe(true);
    }, 120_000);

    it('re-runs a certificate job whose worker was killed inside the handler; one lot number, one certificate', async () => {
      const { app, qa, tech, productId } = suite;
      let worker = workers.find((w) => w.alive) ?? startWorker();
      const batchId = await releasePendingBatch(app, tech.token, productId);
      const seqBefore = (await app.query(`SELECT last_value::int AS v, is_called FROM lot_number_seq`))[0];

      // The certificate INSERT waits on the test's table lock (reads still pass).
      const holderPid = await hold(`LOCK TABLE certificates IN EXCLUSIVE MODE`);
      const lotNumber = await approveRelease(app, qa, batchId);
      const job = await activeJobOf(app, 'documents', batchId);
      expect(job.name).toBe('release.coa.generate');
      await workerBlockedBy(holderPid);
      await worker.kill();
      await release();
      await new Promise((r) => setTimeout(r, 300));
      expect((await app.query(`SELECT count(*)::int AS n FROM certificates WHERE batch_id = $1`, [batchId]))[0].n).toBe(0);
      expect(await queue(app, 'documents').getJobState(job.id!)).toBe('active');

      worker = startWorker();
      // One certificate, one decision, one release transition (and below: one lot number drawn from the sequence).
      const sha256 = await expectCertificateRerunOnce(app, batchId, job.id!, lotNumber);
      const pdf = await app.request('GET', `/batches/${batchId}/certificate`, { token: tech.token });
      expect(pdf.status).toBe(200);
      expect(pdf.headers['x-content-sha256']).toBe(sha256);
      const seqAfter = (await app.query(`SELECT last_value::int AS v, is_called FROM lot_number_seq`))[0];
      expect(seqAfter.v - (seqBefore.is_called ? seqBefore.v : seqBefore.v - 1)).toBe(1);
      expect(await gateTransitions(app, batchId)).toEqual({ submit_for_qc_review: 1, gate_passed: 1 });
    });
  });
} else {
  describe.each(BACKENDS)('a worker that dies holding a job (embedded database, in-process, $name queue)', ({ queue: backend }) => {
    const suite = scenarioSuite(backend, () => workers.stopAll());
    const workers = new InProcessWorkers(() => suite.app);

    /** Claims the batch's next job of the queue and dies with it: no completion, no lock renewal. */
    const dieHolding = async (queueName: 'release-gate' | 'documents', batchId: string) => {
      const { job } = await takeAndDie(suite.app, queueName, () => undefined);
      expect((job.data as { batchId: string }).batchId).toBe(batchId);
      return job;
    };

    afterEach(() => workers.stopAll());

    it('re-runs a gate job whose worker died with it; the batch becomes release pending once', async () => {
      const { app, tech, productId } = suite;
      const batchId = await batchWithOneGateJobWaiting(app, tech.token, productId, () => workers.startOne());
      const job = await dieHolding('release-gate', batchId);
      await new Promise((r) => setTimeout(r, 300));
      expect(await batchState(app, batchId)).toBe('characterization');
      expect(await queue(app, 'release-gate').getJobState(job.id!)).toBe('active');

      workers.start();
      await expectGateRerunOnce(app, batchId, job.id!);
    });

    it('re-runs a certificate job whose worker died with it; one lot number, one certificate', async () => {
      const { app, qa, tech, productId } = suite;
      const host = workers.start();
      const batchId = await releasePendingBatch(app, tech.token, productId);
      await workers.stop(host);

      const lotNumber = await approveRelease(app, qa, batchId);
      await outboxDrained(app);
      const job = await dieHolding('documents', batchId);
      expect(job.name).toBe('release.coa.generate');
      expect((await app.query(`SELECT count(*)::int AS n FROM certificates WHERE batch_id = $1`, [batchId]))[0].n).toBe(0);

      workers.start();
      await expectCertificateRerunOnce(app, batchId, job.id!, lotNumber);
    });
  });
}
