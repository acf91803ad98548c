import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { IdempotencyStore } from '#platform';

/**
 * Tells a retry whose answer was lost which records its command touched: the entities of the
 * audit events of that request (same actor and request id, written after the key was claimed).
 */
@Injectable()
export class CommandResources implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly idempotency: IdempotencyStore,
  ) {}

  onModuleInit(): void {
    this.idempotency.describeResourcesWith((scope, requestId, since) => this.touchedBy(scope, requestId, since));
  }

  async touchedBy(scope: string, requestId: string, since: Date): Promise<{ type: string; id: string }[]> {
    const [kind, actorId] = scope.split(':');
    if (kind !== 'user') return [];
    return this.dataSource.query(
      `SELECT DISTINCT entity_type AS type, entity_id AS id FROM audit_events
        WHERE actor_id = $1 AND request_id = $2 AND occurred_at >= $3 AND occurred_at < $3::timestamptz + interval '1 hour'
        ORDER BY 1, 2 LIMIT 50`,
      [actorId, requestId, since],
    );
  }
}
