import { type DynamicModule, Global, Module, type Provider } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from './config/config.js';
import { buildDataSourceOptions } from './database/data-source-options.js';
import { RuntimeEndpoints } from './database/runtime-endpoints.js';
import { TransactionRunner } from './database/transaction-runner.js';
import { HealthController } from './health/health.controller.js';
import { RateLimiter, RateLimitGuard } from './http/rate-limit.js';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor.js';
import { IdempotencyStore } from './idempotency/idempotency-store.js';
import { JobHandlerRegistry } from './queue/job-handlers.js';
import { Outbox } from './queue/outbox.js';
import { OutboxRelay } from './queue/outbox-relay.js';
import { QueueBackend } from './queue/queue-backend.js';
import { QueueAdminController } from './queue/queue-admin.controller.js';
import { QueueRegistry } from './queue/queue-registry.js';
import { WorkerHost } from './queue/worker-host.js';

export interface ProcessRoles {
  /** Serve HTTP. */
  api: boolean;
  /** Run BullMQ workers. */
  worker: boolean;
}

/** Config, database, queue and outbox: the infrastructure every domain module stands on. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(config: AppConfig, endpoints: RuntimeEndpoints, roles: ProcessRoles): DynamicModule {
    const providers: Provider[] = [
      { provide: APP_CONFIG, useValue: config },
      { provide: RuntimeEndpoints, useValue: endpoints },
      { provide: QueueBackend, useFactory: () => new QueueBackend(endpoints.queue) },
      QueueRegistry,
      Outbox,
      OutboxRelay,
      JobHandlerRegistry,
      TransactionRunner,
      RateLimiter,
      { provide: APP_GUARD, useClass: RateLimitGuard },
      IdempotencyStore,
      { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
    ];
    if (roles.worker) providers.push(WorkerHost);
    return {
      module: PlatformModule,
      imports: [
        TypeOrmModule.forRoot({
          ...buildDataSourceOptions(endpoints.databaseUrl, {
            poolSize: config.dbPoolSize,
            applicationName: roles.api ? 'exolot-api' : 'exolot-worker',
            // One pool per process: a process that runs jobs (also `npm start`) needs the jobs' longer limit.
            queryTimeoutMs: roles.worker ? Math.max(config.dbQueryTimeoutMs, config.workerDbQueryTimeoutMs) : config.dbQueryTimeoutMs,
            serverStatementTimeout: !endpoints.embedded,
          }),
          autoLoadEntities: true,
          retryAttempts: 3,
          retryDelay: 1000,
        } as never),
      ],
      controllers: roles.api ? [HealthController, QueueAdminController] : [],
      providers,
      exports: [RateLimiter, IdempotencyStore, APP_CONFIG, RuntimeEndpoints, QueueBackend, QueueRegistry, Outbox, OutboxRelay, JobHandlerRegistry, TransactionRunner, TypeOrmModule],
    };
  }
}
