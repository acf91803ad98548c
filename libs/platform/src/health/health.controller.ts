import { Controller, Get, Optional } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { DomainError } from '../errors/domain-error.js';
import { Public } from '../http/request-context.js';
import { QueueBackend } from '../queue/queue-backend.js';
import { OutboxRelay } from '../queue/outbox-relay.js';
import { QueueRegistry } from '../queue/queue-registry.js';
import { WorkerHost } from '../queue/worker-host.js';

const CHECK_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS).unref())]);
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly queues: QueueRegistry,
    private readonly backend: QueueBackend,
    private readonly relay: OutboxRelay,
    @Optional() private readonly workerHost?: WorkerHost,
  ) {}

  /** Liveness: the process is up and serving. */
  @Get()
  @Public()
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: the database and the queue answer; queue depth and failures in detail. */
  @Get('ready')
  @Public()
  async ready(): Promise<Record<string, unknown>> {
    const checks: Record<string, unknown> = {};
    let ok = true;
    try {
      const [row] = await withTimeout(this.dataSource.query(`SELECT count(*)::int AS pending FROM outbox WHERE dispatched_at IS NULL`), 'database');
      checks.database = { status: 'up', outboxPending: row.pending };
    } catch (error) {
      ok = false;
      checks.database = { status: 'down', error: (error as Error).message };
    }
    try {
      const queues: Record<string, unknown> = {};
      for (const queue of this.queues.all()) {
        queues[queue.name] = await withTimeout(queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed'), 'queue');
      }
      checks.queue = { status: 'up', backend: this.backend.description, queues, relayError: this.relay.status.lastError ?? null, worker: this.workerHost?.stats ?? null };
    } catch (error) {
      ok = false;
      checks.queue = { status: 'down', backend: this.backend.description, error: (error as Error).message };
    }
    if (!ok) throw new DomainError('service.unavailable', 'A dependency is not reachable.', { checks });
    return { status: 'ready', checks };
  }
}
