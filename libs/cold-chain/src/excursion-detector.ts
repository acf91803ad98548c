import { Injectable } from '@nestjs/common';
import { AuditTrail } from '#audit';
import { type CommandContext, type Tx } from '#platform';
import { type DetectedExcursion, detectExcursions, endOf, type MonitorProfile, type Reading } from './excursion-rules.js';
import { ExcursionHolds, type ExcursionUnit } from './quarantine.js';

interface LoggerState { id: string; kind: 'freezer' | 'shipping'; freezerId: string | null; attachedAt: Date | null; lastReadingAt: Date | null; dirtyFrom: Date | null }
interface Context { unit: ExcursionUnit; profile: MonitorProfile; from: Date; until: Date | null }
interface StoredExcursion { id: string; number: string; kind: DetectedExcursion['kind']; startedAt: Date; endedAt: Date | null; peakC: number | null; disposition: string | null }

export interface DetectionOutcome {
  created: string[];
  updated: string[];
  quarantined: string[];
}

/**
 * Finds a logger's excursions and records them idempotently (unique logger × kind × start),
 * then holds the vials that were in the freezer or shipment during each. Runs in the caller's
 * transaction; the logger row is locked so two runs for one logger never interleave.
 */
@Injectable()
export class ExcursionDetector {
  constructor(
    private readonly holds: ExcursionHolds,
    private readonly audit: AuditTrail,
  ) {}

  /** `shipmentId`: only that shipment's journey (at receipt, before the logger's next job). */
  async detect(tx: Tx, ctx: CommandContext, loggerId: string, now = new Date(), shipmentId?: string): Promise<DetectionOutcome> {
    const [logger]: LoggerState[] = await tx.em.query(
      `SELECT id, kind, freezer_id AS "freezerId", attached_at AS "attachedAt", last_reading_at AS "lastReadingAt", dirty_from AS "dirtyFrom"
         FROM temperature_loggers WHERE id = $1 FOR NO KEY UPDATE`,
      [loggerId],
    );
    const outcome: DetectionOutcome = { created: [], updated: [], quarantined: [] };
    if (!logger) return outcome;
    if (!shipmentId) await tx.em.query(`UPDATE temperature_loggers SET dirty_from = NULL WHERE id = $1`, [loggerId]);
    for (const context of await this.contexts(tx, logger, shipmentId)) await this.detectIn(tx, ctx, logger, context, now, outcome);
    return outcome;
  }

  /** What the logger monitors: its freezer, or the shipments it travelled (or travels) with. */
  private async contexts(tx: Tx, logger: LoggerState, shipmentId?: string): Promise<Context[]> {
    if (logger.kind === 'freezer' && logger.freezerId && !shipmentId) {
      const [f] = await tx.em.query(`SELECT alarm_high_c AS "limitC", grace_seconds AS "graceSeconds", max_gap_seconds AS "maxGapSeconds" FROM freezers WHERE id = $1`, [logger.freezerId]);
      return [{ unit: { freezerId: logger.freezerId, shipmentId: null }, profile: f, from: new Date(logger.attachedAt!), until: null }];
    }
    const shipments = await tx.em.query(
      `SELECT id, shipped_at AS "shippedAt", received_at AS "receivedAt", alarm_high_c AS "limitC", grace_seconds AS "graceSeconds", max_gap_seconds AS "maxGapSeconds"
         FROM shipments WHERE logger_id = $1 AND shipped_at IS NOT NULL
          AND ($3::uuid IS NULL AND (status = 'shipped' OR received_at >= coalesce($2::timestamptz, 'infinity')) OR id = $3)`,
      [logger.id, logger.dirtyFrom, shipmentId ?? null],
    );
    return shipments.map((s: { id: string; shippedAt: Date; receivedAt: Date | null } & MonitorProfile) => ({
      unit: { freezerId: null, shipmentId: s.id },
      profile: { limitC: s.limitC, graceSeconds: s.graceSeconds, maxGapSeconds: s.maxGapSeconds },
      from: new Date(s.shippedAt),
      until: s.receivedAt ? new Date(s.receivedAt) : null,
    }));
  }

  private async detectIn(tx: Tx, ctx: CommandContext, logger: LoggerState, c: Context, now: Date, outcome: DetectionOutcome): Promise<void> {
    const unitColumn = c.unit.freezerId ? 'freezer_id' : 'shipment_id';
    const unitId = c.unit.freezerId ?? c.unit.shipmentId;
    const open: StoredExcursion[] = await tx.em.query(
      `SELECT id, number, kind, started_at AS "startedAt", ended_at AS "endedAt", peak_c AS "peakC", disposition FROM excursions
        WHERE logger_id = $1 AND ${unitColumn} = $2 AND ended_at IS NULL AND disposition IS NULL`,
      [logger.id, unitId],
    );
    // Re-read from the earliest point anything may have changed: new readings, an open excursion, or the last reading (silence).
    const candidates = [logger.dirtyFrom, logger.lastReadingAt, ...open.map((o) => o.startedAt)].filter((d): d is Date => !!d).map((d) => new Date(d).getTime());
    const windowStart = new Date(Math.max(c.from.getTime(), candidates.length ? Math.min(...candidates) : c.from.getTime()));
    const [anchor] = await tx.em.query(
      `SELECT recorded_at AS at FROM temperature_readings WHERE logger_id = $1 AND recorded_at < $2 AND recorded_at >= $3 AND temperature_c <= $4
        ORDER BY recorded_at DESC LIMIT 1`,
      [logger.id, windowStart.toISOString(), c.from.toISOString(), c.profile.limitC],
    );
    const rows: { at: Date; c: number }[] = await tx.em.query(
      `SELECT recorded_at AS at, temperature_c AS c FROM temperature_readings
        WHERE logger_id = $1 AND recorded_at >= $2 AND recorded_at <= coalesce($3::timestamptz, 'infinity') ORDER BY recorded_at`,
      [logger.id, (anchor ? new Date(anchor.at) : c.from).toISOString(), c.until?.toISOString() ?? null],
    );
    const readings: Reading[] = rows.map((r) => ({ at: new Date(r.at).getTime(), c: Number(r.c) }));
    const newest = readings.at(-1)?.at;
    if (newest !== undefined && (!logger.lastReadingAt || newest > new Date(logger.lastReadingAt).getTime())) {
      // Readings loaded by other means (a migration, COPY) still narrow the next run's window.
      await tx.em.query(`UPDATE temperature_loggers SET last_reading_at = GREATEST(last_reading_at, $2) WHERE id = $1`, [logger.id, iso(newest)]);
    }
    const detected = detectExcursions(readings, c.profile, { monitoredSince: anchor ? null : c.from.getTime(), until: c.until?.getTime() ?? null, now: now.getTime() });

    const existing: StoredExcursion[] = detected.length
      ? await tx.em.query(
          `SELECT id, number, kind, started_at AS "startedAt", ended_at AS "endedAt", peak_c AS "peakC", disposition FROM excursions
            WHERE logger_id = $1 AND (kind, started_at) IN (SELECT * FROM unnest($2::text[], $3::timestamptz[]))`,
          [logger.id, detected.map((d) => d.kind), detected.map((d) => new Date(d.startedAt).toISOString())],
        )
      : [];
    const touched: StoredExcursion[] = [];
    for (const d of detected) {
      const stored = existing.find((e) => e.kind === d.kind && new Date(e.startedAt).getTime() === d.startedAt);
      if (!stored) {
        const created = await this.insert(tx, ctx, logger.id, c, d);
        outcome.created.push(created.number);
        touched.push(created);
      } else if (!stored.disposition && (time(stored.endedAt) !== d.endedAt || (d.peakC !== null && (stored.peakC === null || d.peakC > stored.peakC)))) {
        touched.push(await this.update(tx, ctx, stored, d.endedAt, d.peakC));
        outcome.updated.push(stored.number);
      } else if (!stored.disposition && stored.endedAt === null) {
        touched.push(stored); // still going: vials stored meanwhile join the hold
      }
    }
    // An open excursion that late readings no longer show as one run ends where the readings say.
    for (const o of open.filter((o) => !detected.some((d) => d.kind === o.kind && d.startedAt === new Date(o.startedAt).getTime()))) {
      const end = endOf(o.kind, new Date(o.startedAt).getTime(), readings, c.profile.limitC);
      if (end !== null) {
        touched.push(await this.update(tx, ctx, o, end, null));
        outcome.updated.push(o.number);
      }
    }
    for (const x of touched) {
      const vialIds = await this.holds.affectedVials(tx, c.unit, new Date(x.startedAt), x.endedAt ? new Date(x.endedAt) : null);
      outcome.quarantined.push(...(await this.holds.hold(tx, ctx, x.id, vialIds)));
    }
  }

  private async insert(tx: Tx, ctx: CommandContext, loggerId: string, c: Context, d: DetectedExcursion): Promise<StoredExcursion> {
    const [row] = await tx.em.query(
      `INSERT INTO excursions (number, logger_id, kind, freezer_id, shipment_id, started_at, ended_at, peak_c, limit_c, grace_seconds, max_gap_seconds)
       VALUES ('EXC-' || to_char(now(), 'YYYY') || '-' || lpad(nextval('excursion_number_seq')::text, 5, '0'), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       RETURNING id, number, kind, started_at AS "startedAt", ended_at AS "endedAt", peak_c AS "peakC", disposition`,
      [loggerId, d.kind, c.unit.freezerId, c.unit.shipmentId, iso(d.startedAt), d.endedAt === null ? null : iso(d.endedAt), d.peakC, c.profile.limitC, c.profile.graceSeconds, c.profile.maxGapSeconds],
    );
    await this.audit.record(tx, ctx, {
      action: 'excursion.detected',
      entityType: 'excursion',
      entityId: row.id,
      after: { number: row.number, kind: d.kind, ...c.unit, startedAt: iso(d.startedAt), endedAt: d.endedAt === null ? null : iso(d.endedAt), peakC: d.peakC, limitC: c.profile.limitC, graceSeconds: c.profile.graceSeconds, maxGapSeconds: c.profile.maxGapSeconds },
    });
    return row;
  }

  private async update(tx: Tx, ctx: CommandContext, stored: StoredExcursion, endedAt: number | null, peakC: number | null): Promise<StoredExcursion> {
    // A data-modifying CTE: TypeORM returns [rows, count] for a bare UPDATE … RETURNING.
    const [row] = await tx.em.query(
      `WITH u AS (UPDATE excursions SET ended_at = $2, peak_c = GREATEST(peak_c, $3::real), updated_at = now() WHERE id = $1
                  RETURNING id, number, kind, started_at AS "startedAt", ended_at AS "endedAt", peak_c AS "peakC", disposition)
       SELECT * FROM u`,
      [stored.id, endedAt === null ? null : iso(endedAt), peakC],
    );
    await this.audit.record(tx, ctx, {
      action: 'excursion.updated',
      entityType: 'excursion',
      entityId: stored.id,
      before: { endedAt: stored.endedAt, peakC: stored.peakC },
      after: { endedAt: row.endedAt, peakC: row.peakC },
    });
    return row;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
const time = (d: Date | null) => (d === null ? null : new Date(d).getTime());
