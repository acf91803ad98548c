import { createPostgresBackend, Queue, Worker, type Processor, type QueueOptions, type WorkerOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type pg from 'pg';

/** Where BullMQ keeps its jobs: Redis when REDIS_URL is set, otherwise PostgreSQL. */
export type QueueBackendSpec =
  | { kind: 'redis'; url: string; prefix: string }
  | { kind: 'postgres'; connection: pg.Pool | { connectionString: string; schema: string }; label: string };

/** Builds BullMQ queues and workers on whichever backend the runtime chose. */
export class QueueBackend {
  private readonly redisClients: Redis[] = [];

  constructor(readonly spec: QueueBackendSpec) {}

  get description(): string {
    return this.spec.kind === 'redis' ? 'redis' : `postgres (${this.spec.label})`;
  }

  createQueue(name: string, options: Partial<QueueOptions> = {}): Queue {
    if (this.spec.kind === 'redis') {
      // A producer must fail at once while Redis is unreachable, not queue the command inside
      // ioredis until it comes back: the outbox relay calls the queue inside a database
      // transaction, which would otherwise stay open (holding its rows, and on the embedded
      // database every other session) for the whole outage.
      return new Queue(name, { ...options, connection: this.redis({ enableOfflineQueue: false }), prefix: this.spec.prefix });
    }
    return new Queue(name, { ...options, connection: this.spec.connection as never }, createPostgresBackend as never);
  }

  createWorker(name: string, processor: Processor, options: Partial<WorkerOptions> = {}): Worker {
    if (this.spec.kind === 'redis') {
      return new Worker(name, processor, { ...options, connection: this.redis(), prefix: this.spec.prefix });
    }
    return new Worker(name, processor, { ...options, connection: this.spec.connection as never }, createPostgresBackend as never);
  }

  /** Called by Nest after the queues and workers have closed. */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    await Promise.all(this.redisClients.map((c) => c.quit().catch(() => c.disconnect())));
    this.redisClients.length = 0;
  }

  private redis(overrides: { enableOfflineQueue?: boolean } = {}): Redis {
    if (this.spec.kind !== 'redis') throw new Error('not a redis backend');
    // maxRetriesPerRequest: null is what BullMQ requires for blocking connections; a worker's
    // commands wait for reconnection instead of failing while Redis restarts.
    const client = new Redis(this.spec.url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false, ...overrides });
    client.on('error', () => undefined); // reconnects on its own; health/ready reports the state
    this.redisClients.push(client);
    return client;
  }
}
