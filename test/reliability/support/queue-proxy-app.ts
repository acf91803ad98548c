import pg from 'pg';
import { AppModule } from '../../../apps/api/src/app.module.js';
import { createHttpApp, createRootLogger, relayNotifications, RuntimeEndpoints } from '#platform';
import { TestApp, TestDatabase, type TestAppOptions } from '../../support/test-app.js';
import { TcpProxy } from './tcp-proxy.js';

/**
 * The app on BullMQ's PostgreSQL backend with the queue's own connections going through a TCP
 * proxy, so a test can take the queue away while the application database stays reachable
 * (the PostgreSQL-backend counterpart of a Redis outage). Everything else is what
 * TestApp.start builds: same modules, same per-file database, same workers.
 */
export async function startWithProxiedPostgresQueue(options: Pick<TestAppOptions, 'env' | 'worker'> = {}): Promise<{ app: TestApp; proxy: TcpProxy }> {
  const database = await TestDatabase.create({ queue: 'postgres', env: options.env });
  const endpoints = await RuntimeEndpoints.open(database.config);
  if (endpoints.queue.kind !== 'postgres') throw new Error('expected the PostgreSQL queue backend');
  const direct = endpoints.queue.connection;
  const targetUrl = direct instanceof pg.Pool ? connectionUrl(direct) : direct.connectionString;
  const proxy = await TcpProxy.start(targetUrl);
  const owned = [...(endpoints as unknown as { owned: { stop(): Promise<void> }[] }).owned];
  let connection: pg.Pool | { connectionString: string; schema: string };
  if (direct instanceof pg.Pool) {
    // Embedded: a pool of our own on the proxy, re-emitting NOTIFY as RuntimeEndpoints' pool does.
    const pool = relayNotifications(new pg.Pool({ connectionString: proxy.urlFor(targetUrl), max: 16 }));
    pool.on('error', () => undefined);
    owned.unshift({ stop: () => pool.end().catch(() => undefined) });
    connection = pool;
  } else {
    connection = { ...direct, connectionString: proxy.urlFor(targetUrl) };
  }
  owned.push({ stop: () => proxy.close() });
  const proxied: RuntimeEndpoints = Object.create(RuntimeEndpoints.prototype, {
    ...Object.getOwnPropertyDescriptors(endpoints),
    queue: { value: { kind: 'postgres', connection, label: `${endpoints.queue.label}, through a test proxy` }, enumerable: true },
    owned: { value: owned, enumerable: false },
  });
  const app = await createHttpApp(AppModule.forRoot(database.config, proxied, { api: true, worker: options.worker ?? true }), createRootLogger(database.config.logLevel), { httpLogging: false });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const sql = new pg.Pool({ connectionString: proxied.databaseUrl, max: 2 });
  const Ctor = TestApp as unknown as new (...args: unknown[]) => TestApp;
  return { app: new Ctor(app, proxied, database, sql), proxy };
}

function connectionUrl(pool: pg.Pool): string {
  const options = (pool as unknown as { options: { connectionString?: string } }).options;
  if (!options.connectionString) throw new Error('the embedded queue pool has no connection string');
  return options.connectionString;
}
