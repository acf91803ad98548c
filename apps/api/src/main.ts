import 'reflect-metadata';
import { ConfigError, createHttpApp, createRootLogger, loadConfig, RuntimeEndpoints } from '#platform';
import { AppModule } from './app.module.js';
import { bootstrapAdmin, seedDemo } from './startup.js';
import { registerWebApp } from './web-static.js';

/**
 * The HTTP API. `--with-worker` (what `npm start` uses) also runs the BullMQ workers in this
 * process, which is how the embedded default runs; scale-out runs them separately.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createRootLogger(config.logLevel);
  const withWorker = process.argv.includes('--with-worker') || process.env.RUN_WORKER === 'true';
  const endpoints = await RuntimeEndpoints.open(config);
  const app = await createHttpApp(AppModule.forRoot(config, endpoints, { api: true, worker: withWorker }), logger);
  registerWebApp(app, logger);
  await app.init();
  await bootstrapAdmin(app, config, logger);
  if (process.argv.includes('--demo') || process.env.SEED_DEMO === 'true') await seedDemo(app, config, logger);
  await app.listen({ port: config.port, host: config.host });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ port, host: config.host, database: endpoints.embedded ? `embedded (${config.dataDir})` : 'DATABASE_URL', queue: endpoints.queue.kind, worker: withWorker }, `Exolot listening on http://${config.host}:${port} (API docs at /docs)`);
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    await app.close();
    await endpoints.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(78);
  }
  console.error(error);
  process.exit(1);
});
