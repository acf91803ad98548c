import pg from 'pg';
import type { DestinationStream } from 'pino';
import { AppModule } from '../../../apps/api/src/app.module.js';
import { createHttpApp, createRootLogger, RuntimeEndpoints } from '#platform';
import { TcpProxy } from '../../reliability/support/tcp-proxy.js';
import { TestApp, TestDatabase, type TestAppOptions } from '../../support/test-app.js';

/**
 * The in-process app (embedded default) with its application-database connections going through
 * a TCP proxy, so a test can take the database away from the app (as a PostgreSQL restart does)
 * while the test's own pool (app.sql) stays connected. The queue is untouched. The counterpart of
 * test/reliability/support/queue-proxy-app.ts for the application database. `log` receives the
 * app's JSON log lines (for a test that reads them) instead of stdout.
 */
export async function startWithProxiedDatabase(options: Pick<TestAppOptions, 'env' | 'worker'> & { log?: DestinationStream } = {}): Promise<{ app: TestApp; proxy: TcpProxy }> {
  const database = await TestDatabase.create({ env: options.env });
  const endpoints = await RuntimeEndpoints.open(database.config);
  const proxy = await TcpProxy.start(endpoints.databaseUrl);
  const owned = [{ stop: () => proxy.close() }, ...(endpoints as unknown as { owned: { stop(): Promise<void> }[] }).owned];
  const proxied: RuntimeEndpoints = Object.create(RuntimeEndpoints.prototype, {
    ...Object.getOwnPropertyDescriptors(endpoints),
    databaseUrl: { value: proxy.urlFor(endpoints.databaseUrl), enumerable: true },
    owned: { value: owned, enumerable: false },
  });
  const app = await createHttpApp(AppModule.forRoot(database.config, proxied, { api: true, worker: options.worker ?? true }), createRootLogger(database.config.logLevel, options.log), { httpLogging: false });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  // The test's own pool goes straight to the database, not through the proxy.
  const sql = new pg.Pool({ connectionString: endpoints.databaseUrl, max: 2 });
  sql.on('error', () => undefined);
  const Ctor = TestApp as unknown as new (...args: unknown[]) => TestApp;
  return { app: new Ctor(app, proxied, database, sql), proxy };
}
