import { hashLoggerKey, loggerKeyFrom, newLoggerKey, sameDigest } from '../src/logger-keys.js';
import { screenReadings } from '../src/reading-rules.js';

const now = Date.parse('2026-11-22T12:00:00Z');
const logger = { id: '6f1c3c1e-1111-4111-8111-111111111111', code: 'TL-1' };

describe('reading screening', () => {
  it('keeps valid readings and refuses impossible ones, each with a reason', () => {
    const { valid, refused } = screenReadings(
      [
        { recordedAt: '2026-11-22T11:59:00Z', temperatureC: -80.2 },
        { recordedAt: '2026-11-22T11:58:00+01:00', temperatureC: '-79.5', loggerId: 'TL-1' },
        { recordedAt: '2026-11-22T11:57:00Z', temperatureC: 'NaN' },
        { recordedAt: '2026-11-22T11:56:00Z', temperatureC: -300 },
        { recordedAt: '2030-01-01T00:00:00Z', temperatureC: -80 },
        { recordedAt: '1970-01-01T00:00:00Z', temperatureC: -80 },
        { recordedAt: '22/11/2026 11:55', temperatureC: -80 },
        { recordedAt: '2026-11-22T11:54:00Z', temperatureC: null },
        { recordedAt: '2026-11-22T11:53:00Z', temperatureC: 500 },
        { recordedAt: '2026-11-22T11:52:00Z', temperatureC: -80, loggerId: 'TL-2' },
        'garbage',
      ],
      logger,
      now,
    );
    expect(valid.map((v) => v.index)).toEqual([0, 1]);
    expect(valid[1]).toMatchObject({ temperatureC: -79.5, recordedAt: new Date('2026-11-22T10:58:00Z') });
    expect(refused.map((r) => [r.index, r.reason])).toEqual([
      [2, 'not_a_number'], [3, 'below_absolute_zero'], [4, 'in_future'], [5, 'too_old'], [6, 'invalid_time'], [7, 'not_a_number'], [8, 'out_of_range'], [9, 'wrong_logger'], [10, 'malformed'],
    ]);
    expect(refused.every((r) => r.message.length > 10)).toBe(true);
  });

  it('stores a magnitude PostgreSQL real cannot hold (below 1e-30) as 0 °C, and keeps small real differences', () => {
    const { valid } = screenReadings(
      [
        { recordedAt: '2026-11-22T11:59:00Z', temperatureC: 1.7836752010880516e-186 },
        { recordedAt: '2026-11-22T11:58:00Z', temperatureC: -5e-40 },
        { recordedAt: '2026-11-22T11:57:00Z', temperatureC: 0.0001 },
      ],
      logger,
      now,
    );
    expect(valid.map((v) => v.temperatureC)).toEqual([0, 0, 0.0001]);
  });
});

describe('logger keys', () => {
  it('issues random keys, stores only a digest, reads them from the Logger scheme, compares digests in constant time', () => {
    const key = newLoggerKey();
    expect(key).toMatch(/^lgk_[A-Za-z0-9_-]{43}$/);
    expect(newLoggerKey()).not.toBe(key);
    expect(loggerKeyFrom(`Logger ${key}`)).toBe(key);
    expect(loggerKeyFrom(`Bearer ${key}`)).toBeNull();
    expect(loggerKeyFrom(undefined)).toBeNull();
    expect(hashLoggerKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(sameDigest(hashLoggerKey(key), hashLoggerKey(key))).toBe(true);
    expect(sameDigest(hashLoggerKey(key), hashLoggerKey(newLoggerKey()))).toBe(false);
    expect(sameDigest('', '')).toBe(false);
  });
});
