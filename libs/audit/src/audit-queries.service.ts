import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Page } from '#platform';
import type { AuditFilter, AuditFilterQuery } from './audit-query.dto.js';
import { csvRow } from './csv.js';

export interface AuditEventView {
  seq: number;
  id: string;
  occurredAt: string;
  actorId: string | null;
  actorName: string;
  actorRole: string | null;
  action: string;
  entityType: string;
  entityId: string;
  before: unknown;
  after: unknown;
  reason: string | null;
  requestId: string | null;
  prevHash: string;
  hash: string;
}

export interface ChainVerification {
  valid: boolean;
  /** Rows checked, up to and including the first broken one. */
  checked: number;
  firstBrokenSeq: number | null;
  reason: string | null;
}

const COLUMNS = `seq, id, occurred_at AS "occurredAt", actor_id AS "actorId", actor_name AS "actorName", actor_role AS "actorRole", action,
  entity_type AS "entityType", entity_id AS "entityId", before, after, reason, request_id AS "requestId", prev_hash AS "prevHash", hash`;
const CSV_HEADER = ['seq', 'occurred_at', 'actor_id', 'actor_name', 'actor_role', 'action', 'entity_type', 'entity_id', 'before', 'after', 'reason', 'request_id', 'prev_hash', 'hash'];
const GENESIS = '0'.repeat(64);
const VERIFY_BATCH = 2000;
const EXPORT_BATCH = 500;

function where(filter: AuditFilter, params: unknown[]): string {
  const conditions: string[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    conditions.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.entityType) add('entity_type = ?', filter.entityType);
  if (filter.entityId) add('entity_id = ?', filter.entityId);
  if (filter.actorId) add('actor_id = ?::uuid', filter.actorId);
  if (filter.action) add('action = ?', filter.action);
  if (filter.from) add('occurred_at >= ?::timestamptz', filter.from);
  if (filter.to) add('occurred_at <= ?::timestamptz', filter.to);
  return conditions.length ? conditions.join(' AND ') : 'true';
}

function view(row: AuditEventView & { occurredAt: Date | string; seq: string | number }): AuditEventView {
  return { ...row, seq: Number(row.seq), occurredAt: new Date(row.occurredAt).toISOString() };
}

/** Reviewing, exporting and verifying the audit trail. */
@Injectable()
export class AuditQueries {
  constructor(private readonly dataSource: DataSource) {}

  async list(query: AuditFilterQuery): Promise<Page<AuditEventView>> {
    const params: unknown[] = [];
    const condition = where(query, params);
    const [{ total }] = await this.dataSource.query(`SELECT count(*)::int AS total FROM audit_events WHERE ${condition}`, params);
    const rows = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM audit_events WHERE ${condition} ORDER BY seq ${query.order === 'desc' ? 'DESC' : 'ASC'} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, query.limit, query.offset],
    );
    return { items: rows.map(view), total, limit: query.limit, offset: query.offset };
  }

  /**
   * Re-walks the hash chain in the database, in keyset batches: each row's hash must be
   * audit_event_digest() of its content, and its prev_hash the hash of the row before it
   * (zeros for the first). An edited row fails the first check; a removed or inserted row
   * fails the second at the row after it.
   */
  async verifyChain(): Promise<ChainVerification> {
    let afterSeq = '0';
    let previousHash = GENESIS;
    let checked = 0;
    for (;;) {
      const [batch] = await this.dataSource.query(
        `WITH batch AS (
           SELECT a.seq, a.hash, a.prev_hash, audit_event_digest(a) AS digest FROM audit_events a WHERE a.seq > $1::bigint ORDER BY a.seq LIMIT $3
         ), checked AS (
           SELECT seq, hash, digest = hash AS digest_ok, prev_hash = coalesce(lag(hash) OVER (ORDER BY seq), $2) AS link_ok FROM batch
         ), first_broken AS (
           SELECT seq, digest_ok FROM checked WHERE NOT (digest_ok AND link_ok) ORDER BY seq LIMIT 1
         ), last_row AS (
           SELECT seq, hash FROM checked ORDER BY seq DESC LIMIT 1
         )
         SELECT (SELECT count(*)::int FROM checked) AS n,
                (SELECT count(*)::int FROM checked WHERE seq <= coalesce((SELECT seq FROM first_broken), seq)) AS upto,
                (SELECT seq::text FROM last_row) AS "lastSeq", (SELECT hash FROM last_row) AS "lastHash",
                (SELECT seq::text FROM first_broken) AS "brokenSeq", (SELECT digest_ok FROM first_broken) AS "digestOk"`,
        [afterSeq, previousHash, VERIFY_BATCH],
      );
      if (batch.brokenSeq !== null) {
        return {
          valid: false,
          checked: checked + batch.upto,
          firstBrokenSeq: Number(batch.brokenSeq),
          reason: batch.digestOk
            ? `event ${batch.brokenSeq} does not follow the event before it: an event was removed, inserted or re-chained`
            : `event ${batch.brokenSeq} was altered: its content no longer matches its hash`,
        };
      }
      checked += batch.n;
      if (batch.n < VERIFY_BATCH) return { valid: true, checked, firstBrokenSeq: null, reason: null };
      afterSeq = batch.lastSeq;
      previousHash = batch.lastHash;
    }
  }

  /** The filtered trail as CSV, read in keyset batches up to the last event at the start of the export. */
  exportCsv(filter: AuditFilter): Readable {
    const dataSource = this.dataSource;
    async function* rows(): AsyncGenerator<string> {
      yield csvRow(CSV_HEADER);
      const [{ last }] = await dataSource.query(`SELECT coalesce(max(seq), 0)::text AS last FROM audit_events`);
      let afterSeq = '0';
      for (;;) {
        const params: unknown[] = [];
        const condition = where(filter, params);
        const batch = await dataSource.query(
          `SELECT ${COLUMNS} FROM audit_events WHERE ${condition} AND seq > $${params.length + 1}::bigint AND seq <= $${params.length + 2}::bigint ORDER BY seq LIMIT ${EXPORT_BATCH}`,
          [...params, afterSeq, last],
        );
        let chunk = '';
        for (const raw of batch) {
          const e = view(raw);
          chunk += csvRow([e.seq, e.occurredAt, e.actorId, e.actorName, e.actorRole, e.action, e.entityType, e.entityId, e.before, e.after, e.reason, e.requestId, e.prevHash, e.hash]);
        }
        if (chunk) yield chunk;
        if (batch.length < EXPORT_BATCH) return;
        afterSeq = String(batch[batch.length - 1].seq);
      }
    }
    return Readable.from(rows(), { objectMode: false });
  }
}
