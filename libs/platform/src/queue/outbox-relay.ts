import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { JOB_DEFINITIONS, type JobName } from './job-catalogue.js';
import { Outbox } from './outbox.js';
import { QueueRegistry } from './queue-registry.js';

interface PendingRow { id: string; job_name: JobName; queue_name: string; dedupe_key: string; payload: unknown }

/**
 * The longest a relay pass waits on the queue backend: for it to connect (before any rows are
 * claimed) and for the jobs to be added (while the claimed rows are held in an open transaction).
 * A queue that does not answer fails the pass, which rolls back: the rows stay pending for the
 * next pass and the database session is freed.
 */
export const RELAY_QUEUE_TIMEOUT_MS = 2000;

function withinQueueTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the queue backend did not answer within ${RELAY_QUEUE_TIMEOUT_MS} ms`)), RELAY_QUEUE_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Moves committed outbox rows to BullMQ. Rows for the same job and key collapse into one job
 * whose id names the newest row, so a burst of changes gives one run on the latest state,
 * and a re-delivered batch of rows gives the same job id (BullMQ ignores the duplicate).
 * FOR UPDATE SKIP LOCKED lets several processes relay side by side without doubling.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private timer?: NodeJS.Timeout;
  private running = false;
  private again = false;
  private stopped = false;
  private lastError?: string;
  private readonly onWritten = () => void this.drain();

  constructor(
    private readonly dataSource: DataSource,
    private readonly queues: QueueRegistry,
    private readonly outbox: Outbox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.outbox.signals.on('written', this.onWritten);
    this.schedule();
  }

  /** Stops before the database and queues close, so no relay pass runs on a closed connection. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.outbox.signals.off('written', this.onWritten);
    if (this.timer) clearTimeout(this.timer);
    while (this.running) await new Promise((r) => setTimeout(r, 10));
  }

  get status(): { lastError?: string } {
    return { lastError: this.lastError };
  }

  /** Drains until the outbox is empty; concurrent calls coalesce into one more pass. */
  async drain(): Promise<number> {
    if (this.stopped) return 0;
    if (this.running) {
      this.again = true;
      return 0;
    }
    this.running = true;
    let total = 0;
    try {
      do {
        this.again = false;
        let moved: number;
        do {
          moved = await this.relayOnce();
          total += moved;
        } while (moved > 0 && !this.stopped);
      } while (this.again && !this.stopped);
      this.lastError = undefined;
    } catch (error) {
      this.lastError = (error as Error).message;
      this.logger.warn({ err: this.lastError }, 'outbox relay failed; rows stay pending and are retried');
    } finally {
      this.running = false;
    }
    return total;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(async () => {
      await this.drain();
      this.schedule();
    }, this.config.outboxPollMs);
    this.timer.unref();
  }

  private async relayOnce(): Promise<number> {
    // Outside any transaction: is there anything to relay, and are its queues reachable? A
    // backend that has not connected yet is waited for here (bounded), never while rows are
    // claimed (on the embedded database an open transaction holds every session).
    const pendingQueues: { queue_name: string }[] = await this.dataSource.query(`SELECT DISTINCT queue_name FROM outbox WHERE dispatched_at IS NULL`);
    if (pendingQueues.length === 0) return 0;
    await withinQueueTimeout(Promise.all(pendingQueues.map((row) => this.queues.get(row.queue_name).waitUntilReady())));
    return this.dataSource.transaction(async (em) => {
      const rows: PendingRow[] = await em.query(
        `SELECT id, job_name, queue_name, dedupe_key, payload FROM outbox
          WHERE dispatched_at IS NULL ORDER BY id LIMIT 200 FOR UPDATE SKIP LOCKED`,
      );
      if (rows.length === 0) return 0;
      const newestByKey = new Map<string, PendingRow>();
      for (const row of rows) newestByKey.set(`${row.job_name}\u0000${row.dedupe_key}`, row);
      const byQueue = new Map<string, PendingRow[]>();
      for (const row of newestByKey.values()) byQueue.set(row.queue_name, [...(byQueue.get(row.queue_name) ?? []), row]);
      for (const [queueName, queueRows] of byQueue) {
        const queue: Queue = this.queues.get(queueName);
        await withinQueueTimeout(queue.addBulk(
          queueRows.map((row) => {
            const definition = JOB_DEFINITIONS[row.job_name];
            return {
              name: row.job_name,
              data: row.payload,
              opts: {
                jobId: `${row.job_name}.${row.dedupe_key}.${row.id}`,
                attempts: definition.attempts,
                backoff: { type: 'exponential', delay: definition.backoffMs },
                removeOnComplete: { age: 24 * 3600, count: 10000 },
                removeOnFail: { age: 30 * 24 * 3600 },
              },
            };
          }),
        ));
      }
      await em.query(`UPDATE outbox SET dispatched_at = now() WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
      return rows.length;
    });
  }
}
