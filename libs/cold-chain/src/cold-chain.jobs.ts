import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { APP_CONFIG, type AppConfig, JobHandlerRegistry, Outbox, QueueRegistry, systemContext, TransactionRunner, WorkerHost } from '#platform';
import { type DetectionOutcome, ExcursionDetector } from './excursion-detector.js';

export const SCAN_SCHEDULER_ID = 'coldchain.scan';

/**
 * Detection runs as a job: after every ingestion that stored readings (through the outbox),
 * and on a schedule so a silent logger is caught. The schedule is a BullMQ job scheduler with
 * a fixed id, upserted by every worker process at start: idempotent, one schedule however many
 * workers run.
 */
@Injectable()
export class ColdChainJobs implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('ColdChainJobs');

  constructor(
    private readonly handlers: JobHandlerRegistry,
    private readonly tx: TransactionRunner,
    private readonly detector: ExcursionDetector,
    private readonly outbox: Outbox,
    private readonly queues: QueueRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    this.handlers.register('coldchain.excursions.detect', ({ loggerId }, meta) => this.detect(loggerId, `job:${meta.jobId}`));
    this.handlers.register('coldchain.scan', () => this.scan());
  }

  onApplicationBootstrap(): void {
    if (!this.isWorker()) return;
    // Never block start-up on the queue backend: a worker must come up (and serve other queues)
    // while Redis is restarting. The schedule is upserted in the background until it succeeds.
    void this.ensureSchedule();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
  }

  private stopped = false;

  private async ensureSchedule(attempt = 1): Promise<void> {
    if (this.stopped) return;
    try {
      await withTimeout(this.queues.get('cold-chain').upsertJobScheduler(SCAN_SCHEDULER_ID, { every: this.config.coldChainScanMs }, {
        name: 'coldchain.scan',
        data: {},
        opts: { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
      }), 5000);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message, attempt }, 'could not upsert the cold-chain scan schedule yet; retrying');
      const retry = setTimeout(() => void this.ensureSchedule(attempt + 1), Math.min(30000, 1000 * 2 ** Math.min(attempt, 5)));
      retry.unref();
    }
  }

  /** Only processes that run workers (WorkerHost is provided) keep the schedule. */
  private isWorker(): boolean {
    try {
      return !!this.moduleRef.get(WorkerHost, { strict: false });
    } catch {
      return false;
    }
  }

  detect(loggerId: string, requestId = 'cold-chain'): Promise<DetectionOutcome> {
    return this.tx.run((tx) => this.detector.detect(tx, systemContext(requestId), loggerId));
  }

  /**
   * Enqueues detection for every logger that may have something to say: new readings, an open
   * excursion, or silence longer than its maximum gap (freezer loggers, and shipping loggers in transit).
   */
  async scan(): Promise<{ enqueued: number }> {
    return this.tx.run(async (tx) => {
      const loggers: { id: string }[] = await tx.em.query(
        `SELECT g.id FROM temperature_loggers g
           LEFT JOIN freezers f ON f.id = g.freezer_id
           LEFT JOIN shipments s ON s.logger_id = g.id AND s.status = 'shipped'
          WHERE g.active AND (
                g.dirty_from IS NOT NULL
             OR EXISTS (SELECT 1 FROM excursions x WHERE x.logger_id = g.id AND x.ended_at IS NULL AND x.disposition IS NULL)
             OR (f.id IS NOT NULL AND coalesce(g.last_reading_at, g.attached_at) < now() - make_interval(secs => f.max_gap_seconds))
             OR (s.id IS NOT NULL AND GREATEST(g.last_reading_at, s.shipped_at) < now() - make_interval(secs => s.max_gap_seconds)))
          ORDER BY g.id`,
      );
      for (const { id } of loggers) await this.outbox.enqueue(tx, 'coldchain.excursions.detect', { loggerId: id });
      return { enqueued: loggers.length };
    });
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([work, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms); })]).finally(() => clearTimeout(timer));
}
