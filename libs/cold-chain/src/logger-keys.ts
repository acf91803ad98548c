import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A logger's machine credential: 32 random bytes, shown once; only its SHA-256 is stored. */
export function newLoggerKey(): string {
  return `lgk_${randomBytes(32).toString('base64url')}`;
}

export function hashLoggerKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** `Authorization: Logger <key>` → the key, or null. */
export function loggerKeyFrom(header: unknown): string | null {
  if (typeof header !== 'string') return null;
  const match = /^Logger\s+(lgk_[A-Za-z0-9_-]{43})\s*$/.exec(header);
  return match ? match[1] : null;
}

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
