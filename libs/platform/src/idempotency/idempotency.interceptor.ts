import { Readable } from 'node:stream';
import { type CallHandler, type ExecutionContext, Inject, Injectable, Logger, type NestInterceptor, StreamableFile } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { catchError, from, mergeAll, mergeMap, type Observable, of } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { DomainError } from '../errors/domain-error.js';
import { problemFor } from '../errors/problem-details.filter.js';
import type { AuthenticatedRequest } from '../http/request-context.js';
import { IdempotencyStore, KeyAlreadyClaimed, type StoredKey } from './idempotency-store.js';
import { IDEMPOTENCY_EXEMPT, IDEMPOTENCY_HEADER, idempotencyContext, KEYED_METHODS, type KeyedCommand, parseIdempotencyKey, requestFingerprint } from './keyed-command.js';

/**
 * Idempotency-Key for commands of signed-in users and machines. The first request runs with
 * its key in the request context (TransactionRunner claims it in the command's transaction);
 * its answer is written after commit. A retry with the same key and request gets that answer
 * again, with `Idempotent-Replayed: true`, and runs nothing.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Idempotency');
  /** How long a claim without an answer counts as "still answering" rather than "answer lost". */
  private readonly inFlightSeconds: number;

  constructor(
    private readonly store: IdempotencyStore,
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.inFlightSeconds = Math.max(60, Math.ceil((2 * config.dbQueryTimeoutMs) / 1000));
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers['idempotency-key'];
    if (header === undefined || !KEYED_METHODS.has(request.method)) return next.handle();
    // Keys belong to a caller: public routes (sign-in, lookups) have none, so the header is ignored there.
    const scope = request.actor ? `user:${request.actor.userId}` : request.machine ? `${request.machine.kind}:${request.machine.id}` : null;
    if (!scope || this.reflector.getAllAndOverride<boolean>(IDEMPOTENCY_EXEMPT, [context.getHandler(), context.getClass()])) return next.handle();
    const multipart = typeof request.isMultipart === 'function' && request.isMultipart();
    const command: KeyedCommand = {
      scope,
      key: parseIdempotencyKey(header),
      method: request.method,
      path: request.url.split('?')[0],
      requestId: String(request.id),
      ttlHours: this.config.idempotencyTtlHours,
      requestHash: requestFingerprint(request.query, multipart ? undefined : request.body),
      bodyPending: multipart,
      state: 'open',
    };
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return from(this.handle(command, request, reply, next)).pipe(mergeAll());
  }

  private async handle(command: KeyedCommand, request: AuthenticatedRequest, reply: FastifyReply, next: CallHandler): Promise<Observable<unknown>> {
    const stored = await this.store.find(command.scope, command.key, this.inFlightSeconds);
    // A multipart body is not read yet: only a different method or path is known to be a reuse now;
    // otherwise the route reads the body and describeUploadedBody hands back to answer().
    if (stored && (!command.bodyPending || stored.method !== command.method || stored.path !== command.path)) return of(await this.answer(stored, command, reply));
    command.claimFound = !!stored;
    // handle() binds the handler to the current async context, so it runs with the command in it.
    const handled = idempotencyContext.run(command, () => next.handle());
    return handled.pipe(
      mergeMap(async (value) => {
        if (this.close(command)) await this.save(command, ...answerOf(reply.statusCode, value));
        return value;
      }),
      catchError((error: unknown) => from(this.failed(command, error, request, reply))),
    );
  }

  private async failed(command: KeyedCommand, error: unknown, request: AuthenticatedRequest, reply: FastifyReply): Promise<unknown> {
    const claimed = this.close(command);
    if (error instanceof KeyAlreadyClaimed) {
      // A concurrent request with this key committed first (its transaction made ours wait).
      const stored = await this.store.find(command.scope, command.key, this.inFlightSeconds);
      if (!stored) throw inProgress(reply);
      return this.answer(stored, command, reply);
    }
    if (claimed) {
      // The claim committed, then the request failed. A refusal is this key's answer; a 5xx is
      // not (the command stands, only its answer is lost): it is recorded as lost.
      const problem = problemFor(error, request);
      await this.save(command, problem.status < 500 ? problem.status : null, problem.status < 500 ? JSON.stringify(problem) : null);
    }
    throw error;
  }

  /** Marks the command finished; true when its claim committed (so there is an answer to write). */
  private close(command: KeyedCommand): boolean {
    const claimed = command.state === 'claimed';
    command.state = 'closed';
    return claimed;
  }

  private async save(command: KeyedCommand, status: number | null, body: string | null): Promise<void> {
    try {
      await this.store.saveResponse(command, status, body);
    } catch (error) {
      // The command committed; the client still gets its answer. A retry will hear it is lost.
      this.logger.warn({ requestId: command.requestId, err: (error as Error).message }, 'could not store the answer of an idempotent command');
    }
  }

  private async answer(stored: StoredKey, command: KeyedCommand, reply: FastifyReply): Promise<unknown> {
    if (stored.method !== command.method || stored.path !== command.path || (!command.bodyPending && stored.requestHash !== command.requestHash)) {
      throw new DomainError('idempotency.key_reused', `This ${IDEMPOTENCY_HEADER} was used for a different request (${stored.method} ${stored.path} with another body or query). Use a new key for a new request.`, { header: IDEMPOTENCY_HEADER });
    }
    if (stored.responseStatus !== null) {
      reply.status(stored.responseStatus).header('idempotent-replayed', 'true');
      if (stored.responseBody === null) return undefined;
      reply.header('content-type', stored.responseStatus >= 400 ? 'application/problem+json; charset=utf-8' : 'application/json; charset=utf-8');
      return stored.responseBody;
    }
    if (!stored.respondedAt && stored.recent) throw inProgress(reply);
    const resources = await this.store.resourcesOf(command.scope, stored).catch(() => []);
    throw new DomainError(
      'idempotency.response_unavailable',
      `The request with this ${IDEMPOTENCY_HEADER} was completed and stored, but its answer is not available. Do not send it again: look the records up instead.`,
      { header: IDEMPOTENCY_HEADER, originalRequestId: stored.requestId, resources },
    );
  }
}

function inProgress(reply: FastifyReply): DomainError {
  reply.header('retry-after', '1');
  return new DomainError('idempotency.in_progress', `A request with this ${IDEMPOTENCY_HEADER} is still being processed; try again shortly for its answer.`, { header: IDEMPOTENCY_HEADER });
}

/** Status and JSON text to store; a file or stream cannot be replayed, so it is stored as lost. */
function answerOf(status: number, value: unknown): [number | null, string | null] {
  if (value instanceof StreamableFile || value instanceof Readable || Buffer.isBuffer(value)) return [null, null];
  return [status, value === undefined || value === null ? null : JSON.stringify(value)];
}
