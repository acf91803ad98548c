import type { Job } from 'bullmq';
import { JobHandlerRegistry, type JobName, QueueBackend } from '#platform';
import { TestApp } from '../support/test-app.js';
import { signInAs, type TestUser } from '../support/users.js';
import { productWithEffectiveSpec } from '../support/fixtures.js';
import { BACKENDS, batchWithOneGateJobWaiting, completedJob, footprint, gateTransitions, InProcessWorkers, LOCK_ENV, outboxDrained, queue } from './support/scenario.js';

/**
 * "At least once" seen from the other side: a worker did a job's work (its transaction
 * committed) and died before BullMQ heard of the outcome. After the lock expires the job is
 * delivered again to the next worker; the re-run must change nothing: same outcome, no second
 * transition, checklist, audit event, lot number or certificate. In-process, so it runs on each
 * queue backend and on either database.
 */
describe.each(BACKENDS)('a job delivered again after its worker committed and died ($name queue)', ({ queue: backend }) => {
  let app: TestApp;
  let qa: TestUser & { token: string };
  let tech: TestUser & { token: string };
  let productId: string;
  const workers = new InProcessWorkers(() => app);

  /** Takes the next job of the queue, runs the real handler to its commit, then dies before acknowledging. */
  const finishAndDie = async (queueName: 'release-gate' | 'documents'): Promise<{ job: Job; result: unknown }> => {
    const handlers = app.app.get(JobHandlerRegistry);
    let done!: (outcome: { job: Job; result: unknown }) => void;
    const finished = new Promise<{ job: Job; result: unknown }>((resolve) => (done = resolve));
    const doomed = app.app.get(QueueBackend).createWorker(queueName, async (job) => {
      const result = await handlers.get(job.name as JobName)!(job.data as never, { jobId: String(job.id), attempt: job.attemptsMade + 1 });
      done({ job, result });
      return new Promise(() => undefined); // the process is gone before BullMQ hears of the outcome
    }, { concurrency: 1, lockDuration: app.config.queueLockMs, stalledInterval: app.config.queueLockMs, maxStalledCount: 3 });
    doomed.on('error', () => undefined);
    const outcome = await finished;
    await doomed.close(true);
    expect(await queue(app, queueName).getJobState(outcome.job.id!)).toBe('active');
    return outcome;
  };

  beforeAll(async () => {
    app = await TestApp.start({ worker: false, queue: backend, env: LOCK_ENV });
    qa = await signInAs(app, 'qa_manager');
    tech = await signInAs(app, 'technician');
    ({ productId } = await productWithEffectiveSpec(app, qa));
  });
  afterEach(() => workers.stopAll());
  afterAll(async () => {
    await workers.stopAll();
    await app?.close();
  });

  it('re-runs the gate job and the certificate job; the re-runs change nothing', async () => {
    const batchId = await batchWithOneGateJobWaiting(app, tech.token, productId, async () => {
      const host = workers.start();
      return () => workers.stop(host);
    });
    const gate = await finishAndDie('release-gate');
    expect(gate.result).toEqual({ state: 'release_pending', passed: true });
    const afterFirstRun = await footprint(app, batchId);

    let host = workers.start();
    const rerun = await completedJob(app, 'release-gate', gate.job.id!);
    expect(rerun.stalledCounter).toBeGreaterThanOrEqual(1);
    expect(rerun.returnvalue).toEqual(gate.result);
    expect(await footprint(app, batchId)).toEqual(afterFirstRun);
    expect(await gateTransitions(app, batchId)).toEqual({ submit_for_qc_review: 1, gate_passed: 1 });
    await workers.stop(host);

    const approved = await app.request('POST', `/batches/${batchId}/release/approve`, { token: qa.token, body: { password: qa.password } });
    expect(approved.status).toBe(200);
    await outboxDrained(app);
    const coa = await finishAndDie('documents');
    expect(coa.result).toEqual({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), created: true });
    const afterCertificate = await footprint(app, batchId);
    expect(afterCertificate.certificates).toBe(1);

    host = workers.start();
    const coaRerun = await completedJob(app, 'documents', coa.job.id!);
    expect(coaRerun.stalledCounter).toBeGreaterThanOrEqual(1);
    expect(coaRerun.returnvalue).toEqual({ sha256: (coa.result as { sha256: string }).sha256, created: false });
    expect(await footprint(app, batchId)).toEqual(afterCertificate);
    expect(await app.query(`SELECT count(*)::int AS n FROM batches WHERE lot_number = $1`, [approved.body.lotNumber])).toEqual([{ n: 1 }]);
  });
});
