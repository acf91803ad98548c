import path from 'node:path';
import pg from 'pg';
import { runMigrations as runQueueMigrations } from 'bullmq';
import type { AppConfig } from '../config/config.js';
import type { QueueBackendSpec } from '../queue/queue-backend.js';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { applyMigrations } from './migrate.js';

/**
 * The external resources a process talks to: the application database URL and the queue
 * backend. With DATABASE_URL/REDIS_URL unset they are embedded (PGlite) and owned here.
 */
export class RuntimeEndpoints {
  private constructor(
    readonly databaseUrl: string,
    readonly queue: QueueBackendSpec,
    readonly embedded: boolean,
    private readonly owned: { stop(): Promise<void> }[],
  ) {}

  static async open(config: AppConfig, options: { migrate?: boolean } = {}): Promise<RuntimeEndpoints> {
    const owned: { stop(): Promise<void> }[] = [];
    try {
      let databaseUrl = config.databaseUrl;
      const embedded = !databaseUrl;
      if (!databaseUrl) {
        const appDb = new EmbeddedPostgres(path.join(config.dataDir, 'pg'));
        databaseUrl = await appDb.start();
        owned.push(appDb);
      }
      // The embedded default always migrates at start; with a real DATABASE_URL only when asked.
      if (embedded || options.migrate) await applyMigrations(databaseUrl);

      let queue: QueueBackendSpec;
      if (config.redisUrl) {
        queue = { kind: 'redis', url: config.redisUrl, prefix: config.queuePrefix };
      } else if (!embedded) {
        queue = { kind: 'postgres', connection: { connectionString: databaseUrl, schema: 'bullmq' }, label: 'DATABASE_URL, schema bullmq' };
        await migrateQueueSchema(new pg.Client({ connectionString: databaseUrl }));
      } else {
        // A separate PGlite keeps BullMQ's tables and its global transaction lock away from app data.
        const queueDb = new EmbeddedPostgres(path.join(config.dataDir, 'queue'), { searchPath: 'bullmq' });
        const queueUrl = await queueDb.start();
        const pool = relayNotifications(new pg.Pool({ connectionString: queueUrl, max: 16 }));
        owned.push({ stop: () => pool.end() }, queueDb);
        queue = { kind: 'postgres', connection: pool, label: 'embedded' };
        await migrateQueueSchema(new pg.Client({ connectionString: queueUrl }));
      }
      return new RuntimeEndpoints(databaseUrl, queue, embedded, owned.reverse());
    } catch (error) {
      for (const resource of owned.reverse()) await resource.stop().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    for (const resource of this.owned) await resource.stop().catch(() => undefined);
  }
}

async function migrateQueueSchema(client: pg.Client): Promise<void> {
  await client.connect();
  try {
    await runQueueMigrations(client as never, 'bullmq');
  } finally {
    await client.end();
  }
}

/**
 * PGlite has one backend session, so a NOTIFY reaches only the socket client that committed
 * it. Re-emitting it to every client of the pool wakes BullMQ's LISTEN client in ~ms instead
 * of after its wait timeout.
 */
export function relayNotifications(pool: pg.Pool): pg.Pool {
  const clients = new Set<pg.PoolClient>();
  pool.on('connect', (client) => {
    clients.add(client);
    client.on('end', () => clients.delete(client));
    client.on('notification', (message) => {
      if ((message as { relayed?: boolean }).relayed) return;
      for (const other of clients) {
        if (other !== client) other.emit('notification', { ...message, relayed: true });
      }
    });
  });
  pool.on('remove', (client) => clients.delete(client));
  return pool;
}
