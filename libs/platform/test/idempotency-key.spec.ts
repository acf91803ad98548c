import { DomainError } from '../src/errors/domain-error.js';
import { parseIdempotencyKey, requestFingerprint } from '../src/idempotency/keyed-command.js';

describe('Idempotency-Key parsing and request fingerprints', () => {
  it('accepts 1 to 255 visible ASCII characters and nothing else', () => {
    for (const key of ['a', '8e03978e-40d5-43e8-bc93-6894a57f9324', '!~"{}', 'x'.repeat(255)]) expect(parseIdempotencyKey(key)).toBe(key);
    for (const key of ['', ' ', 'a b', 'tab\there', 'x'.repeat(256), 'ü', ['a', 'b'], undefined]) {
      expect(() => parseIdempotencyKey(key)).toThrow(DomainError);
    }
  });

  it('ignores key order and whitespace, not values; leaves passwords out', () => {
    const a = requestFingerprint({ page: '1' }, { b: [1, { d: 2, c: 3 }], a: 'x' });
    expect(requestFingerprint({ page: '1' }, { a: 'x', b: [1, { c: 3, d: 2 }] })).toBe(a);
    expect(requestFingerprint({ page: '2' }, { a: 'x', b: [1, { c: 3, d: 2 }] })).not.toBe(a);
    expect(requestFingerprint({ page: '1' }, { a: 'y', b: [1, { c: 3, d: 2 }] })).not.toBe(a);
    expect(requestFingerprint({}, { meaning: 'approved', password: 'one' })).toBe(requestFingerprint({}, { meaning: 'approved', password: 'two' }));
    expect(requestFingerprint({}, { meaning: 'approved', password: 'one' })).not.toBe(requestFingerprint({}, { meaning: 'rejected', password: 'one' }));
    expect(requestFingerprint(undefined, undefined)).toBe(requestFingerprint(null, null));
  });
});

describe('IDEMPOTENCY_TTL_HOURS', () => {
  it('defaults to 24 hours and refuses values outside 1 to 720', async () => {
    const { loadConfig } = await import('../src/config/config.js');
    expect(loadConfig({}).idempotencyTtlHours).toBe(24);
    expect(loadConfig({ IDEMPOTENCY_TTL_HOURS: '2' }).idempotencyTtlHours).toBe(2);
    for (const value of ['0', '721', 'a day']) expect(() => loadConfig({ IDEMPOTENCY_TTL_HOURS: value })).toThrow(/IDEMPOTENCY_TTL_HOURS/);
  });
});
