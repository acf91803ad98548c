import { Injectable } from '@nestjs/common';
import type { JobName, JobPayloads } from './job-catalogue.js';

export type JobHandler<N extends JobName> = (payload: JobPayloads[N], meta: { jobId: string; attempt: number }) => Promise<unknown>;

/**
 * Domain modules register their handlers here (in onModuleInit); the worker host dispatches
 * by job name. A handler must be idempotent and re-read current state; if it throws, the job
 * fails and BullMQ retries it with the catalogued backoff.
 */
@Injectable()
export class JobHandlerRegistry {
  private readonly handlers = new Map<JobName, JobHandler<never>>();

  register<N extends JobName>(name: N, handler: JobHandler<N>): void {
    if (this.handlers.has(name)) throw new Error(`a handler for ${name} is already registered`);
    this.handlers.set(name, handler as JobHandler<never>);
  }

  get(name: string): JobHandler<never> | undefined {
    return this.handlers.get(name as JobName);
  }
}
