import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

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

/**
 * One transaction per command. Inside it, use only `tx.em`: with the embedded database a
 * query on another connection from inside a transaction would wait forever.
 */
@Injectable()
export class TransactionRunner {
  constructor(private readonly dataSource: DataSource) {}

  async run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const hooks: (() => void)[] = [];
    const result = await this.dataSource.transaction(async (em) => {
      const lastly: (() => Promise<void>)[] = [];
      const value = await work({ em, afterCommit: (hook) => hooks.push(hook), beforeCommit: (hook) => lastly.push(hook) });
      for (const hook of lastly) await hook();
      return value;
    });
    for (const hook of hooks) {
      try {
        hook();
      } catch {
        // After-commit hooks are nudges (e.g. wake the outbox relay); the commit already stands.
      }
    }
    return result;
  }
}
