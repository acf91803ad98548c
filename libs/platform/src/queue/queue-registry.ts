import { type BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { QUEUE_NAMES } from './job-catalogue.js';
import { QueueBackend } from './queue-backend.js';

/** One BullMQ Queue per catalogued queue name, created lazily and closed on shutdown. */
@Injectable()
export class QueueRegistry implements BeforeApplicationShutdown {
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly backend: QueueBackend) {}

  get(name: string): Queue {
    if (!(QUEUE_NAMES as readonly string[]).includes(name)) throw new Error(`unknown queue ${name}`);
    let queue = this.queues.get(name);
    if (!queue) {
      const created = this.backend.createQueue(name);
      created.on('error', () => undefined); // connection errors surface through health/ready
      // BullMQ's PostgreSQL backend remembers a failed first connection: a Queue created while
      // its database is unreachable would fail every call for good. Forget it; the next get()
      // builds a fresh one, so the relay and health/ready recover when the database is back.
      created.waitUntilReady().catch(() => {
        if (this.queues.get(name) !== created) return;
        this.queues.delete(name);
        created.close().catch(() => undefined);
      });
      this.queues.set(name, created);
      queue = created;
    }
    return queue;
  }

  all(): Queue[] {
    return QUEUE_NAMES.map((name) => this.get(name));
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    this.queues.clear();
  }
}
