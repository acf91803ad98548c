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
      queue = this.backend.createQueue(name);
      queue.on('error', () => undefined); // connection errors surface through health/ready
      this.queues.set(name, queue);
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
