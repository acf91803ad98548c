import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, classifyError, RuntimeEndpoints } from '#platform';
import { TcpProxy } from '../reliability/support/tcp-proxy.js';
import { TestDatabase } from '../support/test-app.js';
import { testEnv } from '../support/test-env.js';

/**
 * The application pool's query timeout (DB_QUERY_TIMEOUT_MS), on the database the run uses. A
 * transaction writes a row, then the database stops answering (a TCP proxy holds every byte):
 * the query is cut off with an error that answers 503, the row is never stored, and the pool's
 * one slot serves the next transaction once the database answers. Without closing the timed-out
 * connection pg would hand it back still inside the first transaction, and the next COMMIT would
 * store the abandoned row too. On PostgreSQL the server's statement_timeout is checked as well.
 */
const REAL = Boolean(testEnv.databaseUrl);
const TIMEOUT_MS = 600;

describe('query timeout of the application pool', () => {
  let database: TestDatabase;
  let endpoints: RuntimeEndpoints;
  let proxy: TcpProxy;
  const sources: DataSource[] = [];

  const open = async (url: string, serverStatementTimeout: boolean) => {
    const options = buildDataSourceOptions(url, { poolSize: 1, applicationName: 'exolot-timeout-test', queryTimeoutMs: TIMEOUT_MS, serverStatementTimeout });
    const source = new DataSource({ ...options, logging: false }); // the failures are on purpose
    sources.push(await source.initialize());
    return source;
  };
  const labels = async (source: DataSource): Promise<string[]> => (await source.query(`SELECT label FROM timeout_probe ORDER BY label`)).map((r: { label: string }) => r.label);

  beforeAll(async () => {
    database = await TestDatabase.create();
    endpoints = await RuntimeEndpoints.open(database.config);
    proxy = await TcpProxy.start(endpoints.databaseUrl);
    await (await open(endpoints.databaseUrl, false)).query(`CREATE TABLE timeout_probe (label text PRIMARY KEY)`);
  }, 120_000);
  afterAll(async () => {
    proxy?.resume();
    for (const source of sources) await source.destroy().catch(() => undefined);
    await proxy?.close();
    await endpoints?.close();
    await database?.drop();
  });

  it('cuts off a query the database does not answer, stores nothing of its transaction, and the pool serves the next one', async () => {
    const source = await open(proxy.urlFor(endpoints.databaseUrl), false);
    let stalledAt = 0;
    const failure = await source
      .transaction(async (em) => {
        await em.query(`INSERT INTO timeout_probe (label) VALUES ('abandoned')`);
        proxy.stall();
        stalledAt = performance.now();
        await em.query(`SELECT 1`);
      })
      .then(() => undefined, (error: unknown) => ({ error, tookMs: performance.now() - stalledAt }));
    proxy.resume();

    expect((failure?.error as Error | undefined)?.message).toBe('Query read timeout');
    expect(classifyError(failure!.error)).toMatchObject({ status: 503, code: 'service.unavailable' });
    expect(failure!.tookMs).toBeLessThan(TIMEOUT_MS + 1000);
    // The held bytes (the SELECT) reach the database now, then the closed connection: it rolls back.
    await source.transaction(async (em) => em.query(`INSERT INTO timeout_probe (label) VALUES ('next')`));
    expect(await labels(source)).toEqual(['next']);
  }, 30_000);

  // statement_timeout is set only on a real PostgreSQL (the embedded socket ignores startup options).
  if (REAL) {
    it('on PostgreSQL the server cancels a slow statement first (statement_timeout): rolled back, and the connection stays in use', async () => {
      const source = await open(endpoints.databaseUrl, true);
      const [{ pid }] = await source.query(`SELECT pg_backend_pid() AS pid`);
      const t0 = performance.now();
      const error = await source
        .transaction(async (em) => {
          await em.query(`INSERT INTO timeout_probe (label) VALUES ('cancelled')`);
          await em.query(`SELECT pg_sleep(2)`);
        })
        .then(() => undefined, (e: unknown) => e);
      const tookMs = performance.now() - t0;

      expect((error as { driverError?: { code?: string } } | undefined)?.driverError?.code).toBe('57014');
      expect(classifyError(error)).toMatchObject({ status: 503, code: 'service.unavailable' });
      expect(tookMs).toBeLessThan(TIMEOUT_MS + 1000);
      expect(await source.query(`SELECT pg_backend_pid() AS pid`)).toEqual([{ pid }]);
      expect(await labels(source)).not.toContain('cancelled');
    }, 30_000);
  }
});
