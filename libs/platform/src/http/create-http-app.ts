import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig, DEFAULT_INSTRUMENT_MAX_BYTES } from '../config/config.js';
import { ProblemDetailsFilter, sendProblem } from '../errors/problem-details.filter.js';
import { createValidationPipe, illFormedTextAt, illFormedTextError } from '../errors/validation.js';
import { documentIdempotencyKey } from '../idempotency/idempotency-openapi.js';
import { PinoNestLogger } from '../logging/logger.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;
export const MAX_JSON_BODY_BYTES = 1024 * 1024;
/** Multipart limits: one file (size from INSTRUMENT_MAX_BYTES), a few small text fields. */
export const MULTIPART_LIMITS = { files: 1, fields: 30, fieldSize: 10_000, parts: 40 } as const;

/** Longest request target (path and query) accepted; longer ones get 414 problem+json. */
export const MAX_URL_LENGTH = 8 * 1024;
/**
 * Deepest JSON body accepted (objects and arrays inside each other). The DTOs nest a few levels;
 * class-transformer recurses per level, so a body nested thousands deep would overflow the stack.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Content-Security-Policy for everything the API answers itself (JSON, problem+json, files):
 * nothing may load, nothing may frame it. Pages that need more set their own header first
 * (the public /verify page, the web app's HTML) and keep it.
 */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";
/** Swagger UI at /docs: its own scripts and styles from /docs, its inline <style> block, data: icons, "try it out" to this origin. */
export const DOCS_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
/** Sent only on requests that arrived over HTTPS (directly, or through a trusted proxy: TRUST_PROXY=true and X-Forwarded-Proto). */
export const HSTS = 'max-age=31536000; includeSubDomains';

/** Helmet-style headers; a header a route (or the web app) already set is left as it is. */
const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-permitted-cross-domain-policies': 'none',
};

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
    // The router refuses a malformed URL (400) or an over-long path parameter (414) before any
    // hook runs: answer those through the one error path too, with the same headers.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => {
      reply.header('x-request-id', request.id);
      securityHeaders(request, reply);
      sendProblem(error, request, reply);
    },
  } as never);
  const app = await NestFactory.create<NestFastifyApplication>(rootModule as never, adapter, { logger: new PinoNestLogger(logger), bufferLogs: false, abortOnError: false });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request) => {
    if (request.url.length > MAX_URL_LENGTH) {
      throw Object.assign(new Error(`The request URL is longer than ${MAX_URL_LENGTH} characters.`), { statusCode: 414 });
    }
  });
  fastify.addHook('preValidation', async (request) => {
    if (request.body !== null && typeof request.body === 'object' && nestedDeeperThan(request.body, MAX_JSON_DEPTH)) {
      throw Object.assign(new Error(`The JSON body is nested more than ${MAX_JSON_DEPTH} levels deep.`), { statusCode: 400 });
    }
    // Text PostgreSQL cannot store (NUL, lone surrogates) is refused here, by field, not as a database error.
    const field = illFormedTextAt(request.params) ?? illFormedTextAt(request.query) ?? illFormedTextAt(request.body);
    if (field) throw illFormedTextError(field);
  });
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    securityHeaders(request, reply);
  });
  // CORS is off unless CORS_ORIGINS lists origins: then only those get Access-Control-Allow-Origin.
  const corsOrigins = configured(app)?.corsOrigins ?? [];
  if (corsOrigins.length > 0) {
    app.enableCors({
      origin: corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'x-request-id', 'accept', 'idempotency-key'],
      exposedHeaders: ['x-request-id', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'content-disposition', 'x-content-sha256', 'idempotent-replayed'],
      credentials: false,
      maxAge: 600,
    });
  }
  // Multipart bodies are read by the routes that take files (request.parts()); elsewhere they arrive empty.
  await app.register(multipart as never, { limits: { ...MULTIPART_LIMITS, fileSize: configuredUploadLimit(app) } } as never);
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}

function configured(app: NestFastifyApplication): AppConfig | undefined {
  try {
    return app.get<AppConfig>(APP_CONFIG, { strict: false });
  } catch {
    return undefined;
  }
}

function configuredUploadLimit(app: NestFastifyApplication): number {
  return configured(app)?.instrumentMaxBytes ?? DEFAULT_INSTRUMENT_MAX_BYTES;
}

function securityHeaders(request: FastifyRequest, reply: FastifyReply): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) if (!reply.hasHeader(name)) reply.header(name, value);
  if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', isDocsPath(request.url) ? DOCS_CSP : API_CSP);
  if (request.protocol === 'https' && !reply.hasHeader('strict-transport-security')) reply.header('strict-transport-security', HSTS);
}

/** Whether objects or arrays nest deeper than `max` levels (iterative: the check itself must not recurse). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(current)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

function isDocsPath(url: string): boolean {
  const path = url.split('?')[0];
  return path === '/docs' || path.startsWith('/docs/');
}

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Exolot')
    .setDescription('Exosome batch QC tracker: harvest to clinic, with a release gate and a regulated record. Errors are application/problem+json.')
    .setVersion('1')
    .addBearerAuth()
    .build();
  const document = SwaggerModule.createDocument(app, config);
  documentIdempotencyKey(app, document);
  return document;
}
