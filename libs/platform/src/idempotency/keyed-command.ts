import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { SetMetadata } from '@nestjs/common';
import { DomainError } from '../errors/domain-error.js';
import { KeyAlreadyClaimed } from './key-already-claimed.js';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** Methods that change something; a key on GET/HEAD/OPTIONS is ignored (they are safe to repeat). */
export const KEYED_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** 1–255 visible ASCII characters, nothing else (no spaces, no control characters). */
const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

export const IDEMPOTENCY_EXEMPT = 'exolot:idempotency-exempt';
/**
 * The answer carries a secret shown once (a machine key): it must never be stored, so an
 * Idempotency-Key is ignored on this route and a retry runs again.
 */
export const ResponseHoldsSecret = () => SetMetadata(IDEMPOTENCY_EXEMPT, true);

/**
 * One request with an Idempotency-Key, as the request context sees it. TransactionRunner
 * writes the claim in the first transaction that commits for it.
 */
export interface KeyedCommand {
  /** Whose key it is: `user:<id>` or `logger:<id>`; keys are never shared across callers. */
  readonly scope: string;
  readonly key: string;
  readonly method: string;
  readonly path: string;
  readonly requestId: string;
  readonly ttlHours: number;
  /** SHA-256 of the canonical query and body; a multipart body is added once the route has read it. */
  requestHash: string;
  /** Multipart: the route reports what it read (describeUploadedBody) before its transaction. */
  bodyPending: boolean;
  /** A claim on this key exists already (found before a multipart body was read). */
  claimFound?: boolean;
  state: 'open' | 'claiming' | 'claimed' | 'closed';
}

const current = new AsyncLocalStorage<KeyedCommand>();

export const idempotencyContext = {
  run<T>(command: KeyedCommand, work: () => T): T {
    return current.run(command, work);
  },
  /** Runs `work` with no keyed command: for background work started by a request (after-commit hooks). */
  exit<T>(work: () => T): T {
    return current.exit(work);
  },
  /** The current request's command if it has not claimed its key yet. */
  unclaimed(): KeyedCommand | undefined {
    const command = current.getStore();
    return command?.state === 'open' ? command : undefined;
  },
};

/** The header's value as a key, or a 400 naming the header. */
export function parseIdempotencyKey(header: unknown): string {
  if (typeof header === 'string' && KEY_FORMAT.test(header)) return header;
  throw new DomainError('idempotency.key_invalid', `${IDEMPOTENCY_HEADER} must be one value of 1 to 255 visible ASCII characters (no spaces).`, { header: IDEMPOTENCY_HEADER });
}

/**
 * Fingerprint of what the request asks for: query and body, canonical (key order and
 * whitespace do not matter). Password fields are left out, so no unsalted hash of a password
 * is stored; a retry is still bound to the same session and everything else in the body.
 */
export function requestFingerprint(query: unknown, body: unknown): string {
  return createHash('sha256').update(canonical({ query: query ?? null, body: body ?? null }), 'utf8').digest('hex');
}

/** Called by a route that reads a multipart body itself, before its transaction: completes the fingerprint. */
export function describeUploadedBody(query: unknown, body: { fields: Record<string, string>; file: { fieldName: string; fileName: string; bytes: Buffer } | null }): void {
  const command = current.getStore();
  if (!command?.bodyPending) return;
  const file = body.file ? { fieldName: body.file.fieldName, fileName: body.file.fileName, sha256: createHash('sha256').update(body.file.bytes).digest('hex') } : null;
  command.requestHash = requestFingerprint(query, { multipart: { fields: body.fields, file } });
  command.bodyPending = false;
  // Now comparable with the existing claim: answer from it (replay or 422) before parsing anything.
  if (command.claimFound) throw new KeyAlreadyClaimed();
}

const SECRET_FIELD = /password/i;

/** Sorted keys at every level (bodies are at most 32 levels deep, checked before this runs). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonical(item))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${SECRET_FIELD.test(k) ? '"(secret)"' : canonical((value as Record<string, unknown>)[k])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
