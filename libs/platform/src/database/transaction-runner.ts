import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { claimKey } from '../idempotency/idempotency-store.js';
import { idempotencyContext } from '../idempotency/keyed-command.js';

/** A unit of work: the transaction's manager plus hooks that run only after it commits. */
export interface Tx {
  readonly em: EntityManager;
  afterCommit(hook: () => void): void;
  /**
   * Work that must be in the transaction but as late as possible: it runs after the command's
   * own work, just before COMMIT, in registration order (the audit trail flushes here, so the
   * chain's lock is held only for the commit).
   */
  beforeCommit(hook: () => Promise<void>): void;
}

export interface RunOptions {
  /**
   * false for a transaction that is not the request's command (counting a failed password):
   * it never claims the request's Idempotency-Key, so a refused request leaves the key unused.
   */
  claimsKey?: boolean;
}

/**
 * One transaction per command. Inside it, use only `tx.em`: with the embedded database a
 * query on another connection from inside a transaction would wait forever.
 *
 * A request with an Idempotency-Key claims it in its first command transaction, as that
 * transaction's first statement: the claim commits exactly when the command does, and a
 * concurrent request with the same key waits here, before taking any other lock.
 */
@Injectable()
export class TransactionRunner {
  constructor(private readonly dataSource: DataSource) {}

  async run<T>(work: (tx: Tx) => Promise<T>, options: RunOptions = {}): Promise<T> {
    const hooks: (() => void)[] = [];
    const keyed = options.claimsKey === false ? undefined : idempotencyContext.unclaimed();
    if (keyed) keyed.state = 'claiming';
    let result: T;
    try {
      result = await this.dataSource.transaction(async (em) => {
        if (keyed) await claimKey(em, keyed);
        const lastly: (() => Promise<void>)[] = [];
        const value = await work({ em, afterCommit: (hook) => hooks.push(hook), beforeCommit: (hook) => lastly.push(hook) });
        for (const hook of lastly) await hook();
        return value;
      });
    } catch (error) {
      // Rolled back: the claim went with it, a later transaction of the request may claim.
      if (keyed?.state === 'claiming') keyed.state = 'open';
      throw error;
    }
    if (keyed?.state === 'claiming') keyed.state = 'claimed';
    for (const hook of hooks) {
      try {
        // Outside the request's context: work a hook starts is not part of the keyed command.
        idempotencyContext.exit(hook);
      } catch {
        // After-commit hooks are nudges (e.g. wake the outbox relay); the commit already stands.
      }
    }
    return result;
  }
}
