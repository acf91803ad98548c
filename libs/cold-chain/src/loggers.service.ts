import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditTrail } from '#audit';
import { type CommandContext, DomainError, TransactionRunner } from '#platform';
import type { ReadingsQuery, RegisterLoggerDto } from './cold-chain.dto.js';
import { hashLoggerKey, newLoggerKey } from './logger-keys.js';

export const LOGGER_COLUMNS = `g.id, g.code, g.kind, g.freezer_id AS "freezerId", f.code AS "freezerCode", g.attached_at AS "attachedAt", g.active,
  g.last_reading_at AS "lastReadingAt", g.created_at AS "createdAt"`;
const LOGGER_FROM = `temperature_loggers g LEFT JOIN freezers f ON f.id = g.freezer_id`;

/** Temperature loggers: registration with a machine key (shown once), key rotation, readings. */
@Injectable()
export class Loggers {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditTrail,
  ) {}

  async register(ctx: CommandContext, dto: RegisterLoggerDto): Promise<{ logger: unknown; key: string }> {
    if (dto.kind === 'freezer' && !dto.freezerId) throw DomainError.validation([{ field: 'freezerId', rule: 'requiredForKind', message: 'a freezer logger names its freezer' }]);
    if (dto.kind === 'shipping' && dto.freezerId) throw DomainError.validation([{ field: 'freezerId', rule: 'notForKind', message: 'a shipping logger travels with shipments, not in a freezer' }]);
    const key = newLoggerKey();
    const logger = await this.tx.run(async (tx) => {
      if (dto.freezerId && !(await tx.em.query(`SELECT 1 FROM freezers WHERE id = $1`, [dto.freezerId])).length) throw DomainError.notFound('freezer', dto.freezerId);
      if ((await tx.em.query(`SELECT 1 FROM temperature_loggers WHERE code = $1`, [dto.code])).length) {
        throw DomainError.field('temperature_logger.already_exists', 'code', 'unique', `A logger with code ${dto.code} is registered.`);
      }
      const [{ id }] = await tx.em.query(
        `INSERT INTO temperature_loggers (code, kind, freezer_id, attached_at, key_hash, created_by) VALUES ($1, $2, $3, CASE WHEN $3::uuid IS NULL THEN NULL ELSE now() END, $4, $5) RETURNING id`,
        [dto.code, dto.kind, dto.freezerId ?? null, hashLoggerKey(key), ctx.actor.userId],
      );
      const [row] = await tx.em.query(`SELECT ${LOGGER_COLUMNS} FROM ${LOGGER_FROM} WHERE g.id = $1`, [id]);
      await this.audit.record(tx, ctx, { action: 'temperature_logger.registered', entityType: 'temperature_logger', entityId: id, after: row });
      return row;
    });
    return { logger, key };
  }

  /** A new key; the old one stops working at once. */
  async rotateKey(ctx: CommandContext, id: string): Promise<{ logger: unknown; key: string }> {
    const key = newLoggerKey();
    const logger = await this.tx.run(async (tx) => {
      const [row] = await tx.em.query(`SELECT ${LOGGER_COLUMNS} FROM ${LOGGER_FROM} WHERE g.id = $1 FOR NO KEY UPDATE OF g`, [id]);
      if (!row) throw DomainError.notFound('temperature_logger', id);
      await tx.em.query(`UPDATE temperature_loggers SET key_hash = $2 WHERE id = $1`, [id, hashLoggerKey(key)]);
      await this.audit.record(tx, ctx, { action: 'temperature_logger.key_rotated', entityType: 'temperature_logger', entityId: id, after: { code: row.code } });
      return row;
    });
    return { logger, key };
  }

  list(): Promise<unknown[]> {
    return this.dataSource.query(`SELECT ${LOGGER_COLUMNS} FROM ${LOGGER_FROM} ORDER BY g.code`);
  }

  /** Readings of one logger in a time range (default: the last 24 hours), oldest first, at most 10,000. */
  async readings(id: string, query: ReadingsQuery): Promise<unknown> {
    const [logger] = await this.dataSource.query(`SELECT ${LOGGER_COLUMNS} FROM ${LOGGER_FROM} WHERE g.id = $1`, [id]);
    if (!logger) throw DomainError.notFound('temperature_logger', id);
    const to = query.to ? new Date(query.to) : new Date(Date.now() + 3600_000);
    const from = query.from ? new Date(query.from) : new Date(to.getTime() - 25 * 3600_000);
    const readings = await this.dataSource.query(
      `SELECT recorded_at AS "recordedAt", temperature_c AS "temperatureC", received_at AS "receivedAt" FROM temperature_readings
        WHERE logger_id = $1 AND recorded_at >= $2 AND recorded_at < $3 ORDER BY recorded_at LIMIT 10000`,
      [id, from.toISOString(), to.toISOString()],
    );
    return { logger, from: from.toISOString(), to: to.toISOString(), readings };
  }
}
