import { JobHandlerRegistry, type JobName } from '#platform';
import { approveRelease, BACKENDS, batchWithOneGateJobWaiting, completedJob, footprint, gateTransitions, InProcessWorkers, outboxDrained, scenarioSuite, takeAndDie } from './support/scenario.js';

/**
 * "At least once" seen from the other side: a worker did a job's work (its transaction
 * committed) and died before BullMQ heard of the outcome. After the lock expires the job is
 * delivered again to the next worker; the re-run must change nothing: same outcome, no second
 * transition, checklist, audit event, lot number or certificate. In-process, so it runs on each
 * queue backend and on either database.
 */
describe.each(BACKENDS)('a job delivered again after its worker committed and died ($name queue)', ({ queue: backend }) => {
  const suite = scenarioSuite(backend, () => workers.stopAll());
  const workers = new InProcessWorkers(() => suite.app);

  /** Takes the next job of the queue, runs the real handler to its commit, then dies before BullMQ hears of the outcome. */
  const finishAndDie = (queueName: 'release-gate' | 'documents') => {
    const handlers = suite.app.app.get(JobHandlerRegistry);
    return takeAndDie(suite.app, queueName, (job) => handlers.get(job.name as JobName)!(job.data as never, { jobId: String(job.id), attempt: job.attemptsMade + 1 }));
  };

  afterEach(() => workers.stopAll());

  it('re-runs the gate job and the certificate job; the re-runs change nothing', async () => {
    const { app, qa, tech, productId } = suite;
    const batchId = await batchWithOneGateJobWaiting(app, tech.token, productId, () => workers.startOne());
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

    const lotNumber = await approveRelease(app, qa, batchId);
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
    expect(await app.query(`SELECT count(*)::int AS n FROM batches WHERE lot_number = $1`, [lotNumber])).toEqual([{ n: 1 }]);
  });
});
