import pg from 'pg';

/** The message pg gives a query that got no answer within `query_timeout`. */
export const QUERY_READ_TIMEOUT = 'Query read timeout';

export function isQueryReadTimeout(error: unknown): boolean {
  return (error as { message?: unknown } | null)?.message === QUERY_READ_TIMEOUT;
}

/**
 * A pg client that closes its connection when a query times out. pg only stops waiting: the
 * query stays active on the connection, the ROLLBACK queued behind it times out too, and the
 * client would go back to the pool still inside the server-side transaction, so the next
 * command on it could commit the abandoned one's writes. Closing it makes the server roll back
 * and the pool drop it (`end()` marks it ending at once, so it is never handed out again).
 */
export class TimeoutClosingClient extends pg.Client {
  override query(...args: unknown[]): any {
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (error: unknown, result: unknown) => {
        this.closeIfTimedOut(error);
        callback(error, result);
      };
    }
    const result = (super.query as (...a: unknown[]) => unknown).apply(this, args);
    // Registered before the caller's handler, so the client is closed before the caller reacts.
    if (result instanceof Promise) result.catch((error: unknown) => this.closeIfTimedOut(error));
    return result;
  }

  private closeIfTimedOut(error: unknown): void {
    if (isQueryReadTimeout(error) && !(this as unknown as { _ending?: boolean })._ending) this.end().catch(() => undefined);
  }
}

/**
 * Pool options for a client-side query timeout. `statement_timeout` (server side, 90 % of it, so
 * an answering server cancels first and the connection stays usable) only on a real PostgreSQL:
 * the embedded socket ignores startup options and its one session is shared.
 */
export function queryTimeoutPoolOptions(timeoutMs: number | undefined, serverSide: boolean): Record<string, unknown> {
  if (!timeoutMs) return {};
  return {
    Client: TimeoutClosingClient,
    query_timeout: timeoutMs,
    ...(serverSide ? { statement_timeout: Math.floor(timeoutMs * 0.9) } : {}),
  };
}
