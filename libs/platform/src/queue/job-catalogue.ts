/**
 * The one typed catalogue of queues, job names and payloads. Payloads carry ids, never
 * records: a handler re-reads current state when it runs.
 */
export const QUEUE_NAMES = ['batch-derived', 'release-gate', 'documents', 'cold-chain'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export interface JobPayloads {
  /** Recompute a batch's derived summary (step count, processing time, reagent lots). */
  'batch.summary.recompute': { batchId: string };
  /** Re-evaluate a batch's release checklist against its bound specification. */
  'release.gate.evaluate': { batchId: string };
  /** Generate (or confirm) the certificate of analysis of a released batch. */
  'release.coa.generate': { batchId: string };
  /** Re-read a temperature logger's readings and record (idempotently) the excursions they show. */
  'coldchain.excursions.detect': { loggerId: string };
  /** Periodic scan (a BullMQ job scheduler): every monitoring logger, so a silent one is caught. */
  'coldchain.scan': Record<string, never>;
}
export type JobName = keyof JobPayloads;

export interface JobDefinition<N extends JobName> {
  queue: QueueName;
  /** Jobs with the same key collapse while pending: a burst gives one run on the latest state. */
  dedupeKey: (payload: JobPayloads[N]) => string;
  attempts: number;
  /** First retry delay; later retries back off exponentially. */
  backoffMs: number;
}

export const JOB_DEFINITIONS: { [N in JobName]: JobDefinition<N> } = {
  'batch.summary.recompute': { queue: 'batch-derived', dedupeKey: (p) => p.batchId, attempts: 8, backoffMs: 500 },
  'release.gate.evaluate': { queue: 'release-gate', dedupeKey: (p) => p.batchId, attempts: 10, backoffMs: 500 },
  'release.coa.generate': { queue: 'documents', dedupeKey: (p) => p.batchId, attempts: 8, backoffMs: 1000 },
  'coldchain.excursions.detect': { queue: 'cold-chain', dedupeKey: (p) => p.loggerId, attempts: 10, backoffMs: 500 },
  'coldchain.scan': { queue: 'cold-chain', dedupeKey: () => 'scan', attempts: 3, backoffMs: 1000 },
};

export interface JobRequest<N extends JobName = JobName> {
  name: N;
  payload: JobPayloads[N];
}
