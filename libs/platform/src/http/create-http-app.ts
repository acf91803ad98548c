import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig, DEFAULT_INSTRUMENT_MAX_BYTES } from '../config/config.js';
import { ProblemDetailsFilter } from '../errors/problem-details.filter.js';
import { createValidationPipe } from '../errors/validation.js';
import { PinoNestLogger } from '../logging/logger.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;
export const MAX_JSON_BODY_BYTES = 1024 * 1024;
/** Multipart limits: one file (size from INSTRUMENT_MAX_BYTES), a few small text fields. */
export const MULTIPART_LIMITS = { files: 1, fields: 30, fieldSize: 10_000, parts: 40 } as const;

/** Builds the Fastify-based Nest application with the one error path, validation and docs. */
export async function createHttpApp(rootModule: unknown, logger: Logger, options: { httpLogging?: boolean } = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    loggerInstance: options.httpLogging === false ? logger.child({}, { level: 'warn' }) : logger,
    bodyLimit: MAX_JSON_BODY_BYTES,
    requestIdHeader: false,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const supplied = req.headers['x-request-id'];
      return typeof supplied === 'string' && REQUEST_ID.test(supplied) ? supplied : randomUUID();
    },
    trustProxy: process.env.TRUST_PROXY === 'true',
  } as never);
  const app = await NestFactory.create<NestFastifyApplication>(rootModule as never, adapter, { logger: new PinoNestLogger(logger), bufferLogs: false });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });
  // Multipart bodies are read by the routes that take files (request.parts()); elsewhere they arrive empty.
  await app.register(multipart as never, { limits: { ...MULTIPART_LIMITS, fileSize: configuredUploadLimit(app) } } as never);
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}

function configuredUploadLimit(app: NestFastifyApplication): number {
  try {
    return app.get<AppConfig>(APP_CONFIG, { strict: false }).instrumentMaxBytes ?? DEFAULT_INSTRUMENT_MAX_BYTES;
  } catch {
    return DEFAULT_INSTRUMENT_MAX_BYTES;
  }
}

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Exolot')
    .setDescription('Exosome batch QC tracker: harvest to clinic, with a release gate and a regulated record. Errors are application/problem+json.')
    .setVersion('1')
    .addBearerAuth()
    .build();
  return SwaggerModule.createDocument(app, config);
}
