import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { DomainError } from '../errors/domain-error.js';
import { Roles } from '../http/request-context.js';
import { QUEUE_NAMES } from './job-catalogue.js';
import { QueueRegistry } from './queue-registry.js';

const STATES = ['failed', 'waiting', 'active', 'delayed', 'completed'] as const;

export class ListJobsQuery {
  @ApiPropertyOptional({ enum: STATES, default: 'failed' }) @IsOptional() @IsIn(STATES)
  state?: (typeof STATES)[number];
}

/** Operations: queue depth, failed jobs and their errors, and re-running a failed job. Admins only. */
@ApiTags('admin')
@Controller('admin/queues')
export class QueueAdminController {
  constructor(private readonly queues: QueueRegistry) {}

  @Get()
  @Roles('admin')
  async overview() {
    const out: Record<string, unknown>[] = [];
    for (const queue of this.queues.all()) {
      out.push({ name: queue.name, counts: await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed') });
    }
    return out;
  }

  @Get(':queue/jobs')
  @Roles('admin')
  async jobs(@Param('queue') queueName: string, @Query() query: ListJobsQuery) {
    const jobs = await this.queue(queueName).getJobs([query.state ?? 'failed'], 0, 99);
    return jobs.filter(Boolean).map((job) => ({
      id: job.id, name: job.name, data: job.data, attemptsMade: job.attemptsMade, failedReason: job.failedReason ?? null,
      timestamp: new Date(job.timestamp).toISOString(), finishedOn: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
    }));
  }

  /** Re-runs a failed job (its handler is idempotent and re-reads current state). */
  @Post(':queue/jobs/:jobId/retry')
  @HttpCode(200)
  @Roles('admin')
  async retry(@Param('queue') queueName: string, @Param('jobId') jobId: string) {
    if (!/^[A-Za-z0-9._:-]{1,200}$/.test(jobId)) throw DomainError.validation([{ field: 'jobId', rule: 'matches', message: 'jobId is not a job id' }]);
    const job = await this.queue(queueName).getJob(jobId);
    if (!job) throw DomainError.notFound('job', jobId);
    if (!(await job.isFailed())) throw new DomainError('job.not_failed', `Job ${jobId} is not failed; only failed jobs are re-run.`);
    await job.retry('failed');
    return { id: job.id, retried: true };
  }

  private queue(name: string) {
    if (!(QUEUE_NAMES as readonly string[]).includes(name)) throw DomainError.field('queue.not_found', 'queue', 'isIn', `No queue named ${name}; queues are ${QUEUE_NAMES.join(', ')}.`);
    return this.queues.get(name);
  }
}
