import type { TestApp } from '../../support/test-app.js';

/** Per table: row count and the newest row version (max xmin), so inserts, updates and deletes all show. */
export type Snapshot = Record<string, string>;

/**
 * Watches every application table (schema public, all but schema_migrations) in one SQL
 * statement. Two equal snapshots mean nothing was inserted, updated or deleted in between.
 */
export class DbWatch {
  private constructor(
    private readonly app: TestApp,
    private readonly sql: string,
    readonly tables: string[],
  ) {}

  static async open(app: TestApp): Promise<DbWatch> {
    const rows = await app.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations' ORDER BY table_name`,
    );
    const tables = rows.map((r) => r.name);
    if (tables.length < 10) throw new Error(`expected the application tables, found ${tables.join(', ')}`);
    const columns = tables.map((t) => `(SELECT count(*)::text || '/' || coalesce(max(xmin::text::bigint), 0)::text FROM public."${t}") AS "${t}"`);
    return new DbWatch(app, `SELECT ${columns.join(', ')}`, tables);
  }

  /**
   * Waits until the outbox relay (which runs in every API process) has dispatched what earlier
   * accepted commands wrote, so its update does not show up as a write of the next request.
   */
  async settle(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const [row] = await this.app.query(`SELECT count(*)::int AS n FROM outbox WHERE dispatched_at IS NULL`);
      if (row.n === 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the outbox did not drain');
  }

  async snapshot(): Promise<Snapshot> {
    const [row] = await this.app.query(this.sql);
    return row as Snapshot;
  }

  /** The tables whose rows changed between two snapshots. */
  static changed(before: Snapshot, after: Snapshot): string[] {
    return Object.keys(after).filter((t) => before[t] !== after[t]);
  }
}

/** Problems with one response, per the project's error contract; an empty list means it is fine. */
export function contractProblems(res: { status: number; headers: Record<string, unknown>; body: any; raw: string }): string[] {
  const problems: string[] = [];
  if (res.status >= 500) problems.push(`answered ${res.status}: ${res.raw.slice(0, 300)}`);
  if (res.status >= 400) {
    const type = String(res.headers['content-type'] ?? '');
    if (!type.startsWith('application/problem+json')) problems.push(`refusal ${res.status} is "${type}", not application/problem+json: ${res.raw.slice(0, 200)}`);
    else {
      const body = res.body ?? {};
      if (body.status !== res.status) problems.push(`problem status ${body.status} differs from HTTP ${res.status}`);
      if (typeof body.code !== 'string' || body.code === '') problems.push('problem has no code');
      if (body.requestId !== res.headers['x-request-id']) problems.push(`problem requestId ${body.requestId} differs from x-request-id ${String(res.headers['x-request-id'])}`);
    }
  }
  return problems;
}
