import { EventEmitter } from 'node:events';
import { Injectable } from '@nestjs/common';
import type { Tx } from '../database/transaction-runner.js';
import { JOB_DEFINITIONS, type JobName, type JobPayloads } from './job-catalogue.js';

/**
 * Jobs are written to the outbox table inside the transaction that caused them, so a job
 * exists if and only if its cause committed. The relay moves them to BullMQ afterwards.
 */
@Injectable()
export class Outbox {
  /** Emits 'written' after a commit that added rows, so an in-process relay drains at once. */
  readonly signals = new EventEmitter();

  async enqueue<N extends JobName>(tx: Tx, name: N, payload: JobPayloads[N]): Promise<void> {
    const definition = JOB_DEFINITIONS[name];
    await tx.em.query(
      `INSERT INTO outbox (job_name, queue_name, dedupe_key, payload) VALUES ($1, $2, $3, $4)`,
      [name, definition.queue, definition.dedupeKey(payload as never), JSON.stringify(payload)],
    );
    tx.afterCommit(() => this.signals.emit('written'));
  }
}
