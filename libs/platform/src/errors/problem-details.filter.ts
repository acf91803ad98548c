import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type FieldError } from './domain-error.js';
import { statusForCode } from './error-codes.js';
import { isQueryReadTimeout } from '../database/query-timeout.js';

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
  409: 'Conflict', 413: 'Payload Too Large', 414: 'URI Too Long', 415: 'Unsupported Media Type', 422: 'Unprocessable Content',
  423: 'Locked', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable', 507: 'Insufficient Storage',
};

const HTTP_CODES: Record<number, string> = {
  400: 'request.malformed', 401: 'auth.unauthenticated', 403: 'auth.forbidden', 404: 'route.not_found',
  405: 'request.method_not_allowed', 406: 'request.not_acceptable', 409: 'resource.conflict',
  413: 'request.too_large', 414: 'request.uri_too_long', 415: 'request.unsupported_media_type', 429: 'rate_limited',
};

/** PostgreSQL SQLSTATEs that mean "the database is not reachable right now", not a bug. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08006', '53300']);
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);
/** The database (SQLSTATE 53100 disk_full) or the process (ENOSPC, EDQUOT) has no space left to write. */
const STORAGE_FULL_CODES = new Set(['53100', 'ENOSPC', 'EDQUOT']);

type Classified = { status: number; code: string; detail: string; extra: Record<string, unknown> };

const UNREACHABLE = 'The database is not reachable; try again shortly.';
/** The request may have committed before a later query went unanswered: the client is told to check. */
const NO_ANSWER = 'The database did not answer in time. If you were saving a change, check whether it was stored before trying again.';

const unavailable = (detail: string): Classified => ({ status: 503, code: 'service.unavailable', detail, extra: {} });

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
    return unavailable(UNREACHABLE);
  }
  // No answer in time: pg's query_timeout (the connection is closed, so the server rolls back) or
  // the server's statement_timeout (SQLSTATE 57014; the transaction is rolled back on the same connection).
  if (isQueryReadTimeout(exception) || isQueryReadTimeout(err?.driverError) || sqlState === '57014') {
    return unavailable(NO_ANSWER);
  }
  if (typeof sqlState === 'string' && STORAGE_FULL_CODES.has(sqlState)) {
    // The transaction rolled back: nothing of the request was stored. Not retryable until space is freed.
    return { status: 507, code: 'service.insufficient_storage', detail: 'There is no space left to store this; nothing was saved. Try again once an administrator has freed space.', extra: {} };
  }
  if (err?.message && /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|is not queryable/i.test(err.message)) {
    return unavailable(UNREACHABLE);
  }
  // Fastify's own errors (body too large, bad JSON, wrong content type) carry a 4xx statusCode.
  if (typeof err?.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    const status = err.statusCode;
    return { status, code: HTTP_CODES[status] ?? `http.${status}`, detail: err.message ?? TITLES[status] ?? 'Bad request', extra: {} };
  }
  return { status: 500, code: 'internal', detail: 'An unexpected error occurred. It has been logged with the request id.', extra: {} };
}

/** The problem body for an exception on a request; shared by the filter and the router's own refusals. */
export function problemFor(exception: unknown, request: { id: unknown; url: string }): ProblemDetails {
  const { status, code, detail, extra } = classifyError(exception);
  const problem: ProblemDetails = {
    type: `urn:exolot:problem:${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    instance: request.url.split('?')[0],
    code,
    requestId: String(request.id),
  };
  // Extension members never replace the standard ones (a detail named "status" must not change the status).
  for (const [key, value] of Object.entries(extra)) if (!(key in problem)) problem[key] = value;
  return problem;
}

/** Statuses that say a dependency is away or full, not that the code is wrong: expected during outages. */
const EXPECTED_UNAVAILABILITY = new Set([503, 507]);

/**
 * Logs a 5xx: an outage's 503/507 at warn with its code and no stack (every request of an outage
 * would otherwise print one); anything else at error with the stack, to be investigated.
 */
export function logProblem(problem: ProblemDetails, exception: unknown, logger: Pick<Logger, 'error' | 'warn'>): void {
  if (problem.status < 500) return;
  if (EXPECTED_UNAVAILABILITY.has(problem.status)) {
    const reason = exception instanceof Error ? `${exception.name}: ${exception.message}`.slice(0, 300) : undefined;
    logger.warn({ requestId: problem.requestId, status: problem.status, code: problem.code, reason }, 'request refused during an outage');
    return;
  }
  logger.error({ requestId: problem.requestId, status: problem.status, code: problem.code, err: exception instanceof Error ? { name: exception.name, message: exception.message, stack: exception.stack } : exception }, 'request failed');
}

/** Sends the problem for an exception: the one way a refusal leaves the service. */
export function sendProblem(exception: unknown, request: FastifyRequest, reply: FastifyReply, logger?: Pick<Logger, 'error' | 'warn'>): void {
  const problem = problemFor(exception, request);
  if (logger) logProblem(problem, exception, logger);
  if (problem.status === 503) reply.header('retry-after', '5');
  reply.status(problem.status).header('content-type', 'application/problem+json; charset=utf-8').send(JSON.stringify(problem));
}

/** The single error path: every refusal leaves as application/problem+json with a request id. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    sendProblem(exception, ctx.getRequest<FastifyRequest>(), ctx.getResponse<FastifyReply>(), this.logger);
  }
}
