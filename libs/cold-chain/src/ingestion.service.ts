import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MachineAuthenticators } from '#identity';
import { DomainError, type Machine, Outbox, TransactionRunner } from '#platform';
import { hashLoggerKey, loggerKeyFrom, sameDigest } from './logger-keys.js';
import { type RefusedReading, screenReadings } from './reading-rules.js';

export interface IngestReport {
  loggerId: string;
  loggerCode: string;
  received: number;
  /** New readings stored. */
  stored: number;
  /** Valid readings already stored (same logger and time): kept once, never counted twice. */
  duplicates: number;
  refused: RefusedReading[];
}

const UNAUTHENTICATED = () => new DomainError('auth.logger_key_invalid', 'Send the logger key as "Authorization: Logger <key>"; this one is missing, unknown or revoked.');

/**
 * Temperature ingestion. The logger authenticates with its key (only hashes are stored); the
 * readings are screened one by one, and the valid ones go in with a single INSERT … SELECT
 * FROM unnest(…) ON CONFLICT DO NOTHING, so duplicates and out-of-order readings are harmless.
 * Detection is enqueued through the outbox in the same transaction.
 */
@Injectable()
export class ReadingIngestion implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly outbox: Outbox,
    private readonly machines: MachineAuthenticators,
  ) {}

  /** The access guard checks logger keys on MachineKey('logger') routes before anything else runs. */
  onModuleInit(): void {
    this.machines.register('logger', (authorization) => this.authenticate(authorization));
  }

  async authenticate(authorization: unknown): Promise<Machine> {
    const key = loggerKeyFrom(authorization);
    if (!key) throw UNAUTHENTICATED();
    const digest = hashLoggerKey(key);
    const [logger] = await this.dataSource.query(`SELECT id, code, key_hash AS "keyHash", active FROM temperature_loggers WHERE key_hash = $1`, [digest]);
    if (!logger || !logger.active || !sameDigest(digest, logger.keyHash)) throw UNAUTHENTICATED();
    return { kind: 'logger', id: logger.id, code: logger.code };
  }

  /** Stores a logger's readings; `logger` was authenticated by the access guard. */
  async ingest(logger: Machine, readings: unknown[]): Promise<IngestReport> {
    const { valid, refused } = screenReadings(readings, logger, Date.now());
    let stored = 0;
    if (valid.length > 0) {
      stored = await this.tx.run(async (tx) => {
        const [result] = await tx.em.query(
          `WITH ins AS (
             INSERT INTO temperature_readings (logger_id, recorded_at, temperature_c)
             SELECT $1, t.recorded_at, t.temperature_c FROM unnest($2::timestamptz[], $3::real[]) AS t(recorded_at, temperature_c)
             ON CONFLICT (logger_id, recorded_at) DO NOTHING RETURNING recorded_at)
           SELECT count(*)::int AS stored, min(recorded_at) AS "minAt", max(recorded_at) AS "maxAt" FROM ins`,
          [logger.id, valid.map((r) => r.recordedAt.toISOString()), valid.map((r) => r.temperatureC)],
        );
        if (result.stored > 0) {
          await tx.em.query(
            `UPDATE temperature_loggers SET last_reading_at = GREATEST(last_reading_at, $2::timestamptz), dirty_from = LEAST(dirty_from, $3::timestamptz) WHERE id = $1`,
            [logger.id, result.maxAt, result.minAt],
          );
          await this.outbox.enqueue(tx, 'coldchain.excursions.detect', { loggerId: logger.id });
        }
        return result.stored as number;
      });
    }
    return { loggerId: logger.id, loggerCode: logger.code, received: readings.length, stored, duplicates: valid.length - stored, refused };
  }
}
