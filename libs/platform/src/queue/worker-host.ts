import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import type { Job, Worker } from 'bullmq';
import { QUEUE_NAMES } from './job-catalogue.js';
import { JobHandlerRegistry } from './job-handlers.js';
import { QueueBackend } from './queue-backend.js';

/** Runs one BullMQ worker per queue in processes that have the worker role. */
@Injectable()
export class WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('WorkerHost');
  private readonly workers: Worker[] = [];
  private readonly counters = { completed: 0, failed: 0 };

  constructor(
    private readonly backend: QueueBackend,
    private readonly handlers: JobHandlerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const { workerConcurrency: concurrency, queueLockMs: lockDuration, workerRetryDelayMs: runRetryDelay } = this.config;
    for (const queueName of QUEUE_NAMES) {
      // A job whose worker died (lock expired) is moved back to waiting and retried. After a
      // queue connection error BullMQ waits runRetryDelay (15 s by default) before polling
      // again: ours is short, so jobs resume within about a second of the queue coming back.
      const worker = this.backend.createWorker(queueName, (job) => this.process(job), { concurrency, autorun: true, lockDuration, stalledInterval: lockDuration, maxStalledCount: 3, runRetryDelay });
      worker.on('failed', (job, error) => {
        this.counters.failed += 1;
        this.logger.warn({ queue: queueName, jobId: job?.id, attempt: job?.attemptsMade, err: error.message }, 'job failed');
      });
      worker.on('completed', () => {
        this.counters.completed += 1;
      });
      worker.on('error', (error) => this.logger.warn({ queue: queueName, err: error.message }, 'worker connection error'));
      this.workers.push(worker);
    }
  }

  get stats(): { completed: number; failed: number; workers: number } {
    return { ...this.counters, workers: this.workers.length };
  }

  /** Workers finish their current jobs and stop before the database closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close().catch(() => undefined)));
    this.workers.length = 0;
  }

  private async process(job: Job): Promise<unknown> {
    const handler = this.handlers.get(job.name);
    // An unknown job name is a deployment error: fail loudly rather than drop the job.
    if (!handler) throw new Error(`no handler registered for job ${job.name}`);
    return handler(job.data as never, { jobId: String(job.id), attempt: job.attemptsMade + 1 });
  }
}
