import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type FieldError } from './domain-error.js';
import { statusForCode } from './error-codes.js';

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  requestId: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content',
  423: 'Locked', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

const HTTP_CODES: Record<number, string> = {
  400: 'request.malformed', 401: 'auth.unauthenticated', 403: 'auth.forbidden', 404: 'route.not_found',
  405: 'request.method_not_allowed', 406: 'request.not_acceptable', 409: 'resource.conflict',
  413: 'request.too_large', 415: 'request.unsupported_media_type', 429: 'rate_limited',
};

/** PostgreSQL SQLSTATEs that mean "the database is not reachable right now", not a bug. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08006', '53300']);
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

type Classified = { status: number; code: string; detail: string; extra: Record<string, unknown> };

export function classifyError(exception: unknown): Classified {
  if (exception instanceof DomainError) {
    const { errors, ...extra } = exception.details;
    return { status: statusForCode(exception.code), code: exception.code, detail: exception.message, extra: { ...extra, ...(errors ? { errors } : {}) } };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const body = exception.getResponse();
    const message = typeof body === 'object' && body && 'message' in body ? String((body as { message: unknown }).message) : exception.message;
    return { status, code: HTTP_CODES[status] ?? `http.${status}`, detail: status >= 500 ? 'An unexpected error occurred.' : message, extra: {} };
  }
  const err = exception as { statusCode?: number; code?: string; message?: string; name?: string; driverError?: { code?: string } };
  const sqlState = err?.driverError?.code ?? err?.code;
  if (typeof sqlState === 'string' && (UNAVAILABLE_SQLSTATES.has(sqlState) || UNAVAILABLE_ERRNOS.has(sqlState))) {
    return { status: 503, code: 'service.unavailable', detail: 'The database is not reachable; try again shortly.', extra: {} };
  }
  if (err?.message && /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect/i.test(err.message)) {
    return { status: 503, code: 'service.unavailable', detail: 'The database is not reachable; try again shortly.', extra: {} };
  }
  // Fastify's own errors (body too large, bad JSON, wrong content type) carry a 4xx statusCode.
  if (typeof err?.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    const status = err.statusCode;
    return { status, code: HTTP_CODES[status] ?? `http.${status}`, detail: err.message ?? TITLES[status] ?? 'Bad request', extra: {} };
  }
  return { status: 500, code: 'internal', detail: 'An unexpected error occurred. It has been logged with the request id.', extra: {} };
}

/** The single error path: every refusal leaves as application/problem+json with a request id. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const request = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    const { status, code, detail, extra } = classifyError(exception);
    const requestId = String(request.id);
    if (status >= 500) {
      this.logger.error({ requestId, err: exception instanceof Error ? { name: exception.name, message: exception.message, stack: exception.stack } : exception }, 'request failed');
    }
    const problem: ProblemDetails = {
      type: `urn:exolot:problem:${code}`,
      title: TITLES[status] ?? 'Error',
      status,
      detail,
      instance: request.url.split('?')[0],
      code,
      requestId,
      ...extra,
    };
    if (status === 503) reply.header('retry-after', '5');
    reply.status(status).header('content-type', 'application/problem+json; charset=utf-8').send(JSON.stringify(problem));
  }
}
