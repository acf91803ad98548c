/** Screening of pushed temperature readings, one by one. Pure. */
export interface ScreenedReading {
  index: number;
  recordedAt: Date;
  temperatureC: number;
}

export interface RefusedReading {
  index: number;
  reason: 'malformed' | 'wrong_logger' | 'invalid_time' | 'in_future' | 'too_old' | 'not_a_number' | 'below_absolute_zero' | 'out_of_range';
  message: string;
}

export const READING_RULES = {
  /** Clock skew tolerated for readings stamped slightly ahead of the server. */
  futureToleranceMs: 5 * 60_000,
  /** Readings older than this are a logger clock fault (or a battery reset to 1970). */
  maxAgeMs: 366 * 24 * 3600_000,
  /** The sensors' physical range; anything outside is a sensor fault, not a temperature. */
  minC: -200,
  maxC: 150,
} as const;

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Splits a pushed batch into readings to keep and readings refused with a reason each. A
 * reading may name its logger (`loggerId`: the logger's id or code); it must be the logger
 * whose key authenticated the request.
 */
export function screenReadings(raw: unknown[], logger: { id: string; code: string }, now: number): { valid: ScreenedReading[]; refused: RefusedReading[] } {
  const valid: ScreenedReading[] = [];
  const refused: RefusedReading[] = [];
  raw.forEach((item, index) => {
    const refuse = (reason: RefusedReading['reason'], message: string) => refused.push({ index, reason, message });
    if (!item || typeof item !== 'object' || Array.isArray(item)) return refuse('malformed', 'a reading is an object { recordedAt, temperatureC }');
    const r = item as Record<string, unknown>;
    if (r.loggerId !== undefined && r.loggerId !== logger.id && r.loggerId !== logger.code) {
      return refuse('wrong_logger', `the reading names logger ${String(r.loggerId)}, but the key is logger ${logger.code}'s`);
    }
    if (typeof r.recordedAt !== 'string' || !ISO_WITH_ZONE.test(r.recordedAt) || Number.isNaN(Date.parse(r.recordedAt))) {
      return refuse('invalid_time', 'recordedAt must be an ISO 8601 time with a zone, e.g. 2026-11-22T10:00:00Z');
    }
    const at = Date.parse(r.recordedAt);
    if (at > now + READING_RULES.futureToleranceMs) return refuse('in_future', `recordedAt ${r.recordedAt} is in the future (logger clock?)`);
    if (at < now - READING_RULES.maxAgeMs) return refuse('too_old', `recordedAt ${r.recordedAt} is more than a year old (logger clock?)`);
    const c = typeof r.temperatureC === 'string' && r.temperatureC.trim() !== '' ? Number(r.temperatureC) : r.temperatureC;
    if (typeof c !== 'number' || !Number.isFinite(c)) return refuse('not_a_number', `temperatureC ${JSON.stringify(r.temperatureC)} is not a number`);
    if (c < -273.15) return refuse('below_absolute_zero', `${c} °C is below absolute zero`);
    if (c < READING_RULES.minC || c > READING_RULES.maxC) return refuse('out_of_range', `${c} °C is outside the sensor range ${READING_RULES.minC}…${READING_RULES.maxC} °C`);
    // Readings are stored as PostgreSQL `real`, which refuses magnitudes below ~1e-38 instead of
    // rounding them; no sensor resolves such a difference from 0 °C, so it is stored as 0.
    valid.push({ index, recordedAt: new Date(at), temperatureC: Math.abs(c) < 1e-30 ? 0 : c });
  });
  return { valid, refused };
}
