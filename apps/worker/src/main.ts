import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigError, createRootLogger, loadConfig, PinoNestLogger, RuntimeEndpoints } from '#platform';
import { AppModule } from '../../api/src/app.module.js';

/** A queue worker process: BullMQ processors and the outbox relay, no HTTP. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createRootLogger(config.logLevel);
  if (!config.databaseUrl) {
    throw new ConfigError(['DATABASE_URL is required for a separate worker process (the embedded database runs its worker inside the API: npm start)']);
  }
  const endpoints = await RuntimeEndpoints.open(config);
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, endpoints, { api: false, worker: true }), { logger: new PinoNestLogger(logger) });
  app.enableShutdownHooks();
  await app.init();
  logger.info({ queue: endpoints.queue.kind }, 'Exolot worker started');
  const shutdown = async () => {
    await app.close();
    await endpoints.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(error instanceof ConfigError ? 78 : 1);
});
