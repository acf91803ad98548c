import { detectExcursions, endOf, type Reading } from '../src/excursion-rules.js';

const MIN = 60_000;
const profile = { limitC: -60, graceSeconds: 30 * 60, maxGapSeconds: 60 * 60 };
const t0 = Date.parse('2026-11-22T00:00:00Z');
/** One reading a minute from t0, temperatures by minute. */
const series = (temps: number[], start = t0): Reading[] => temps.map((c, i) => ({ at: start + i * MIN, c }));
const open = (now: number) => ({ monitoredSince: null, until: null, now });

describe('excursion detection', () => {
  it('finds a run above the limit longer than the grace period, ending at the first reading back in range', () => {
    const temps = [...Array(10).fill(-80), ...Array(40).fill(-50), -55, -45, ...Array(10).fill(-79)];
    const found = detectExcursions(series(temps), profile, open(t0 + 62 * MIN));
    expect(found).toEqual([{ kind: 'temperature', startedAt: t0 + 10 * MIN, endedAt: t0 + 52 * MIN, peakC: -45, readingCount: 42 }]);
  });

  it('ignores a run within the grace period (a door opening) and a reading exactly at the limit', () => {
    const temps = [...Array(5).fill(-80), ...Array(29).fill(-40), -80, ...Array(60).fill(-60)];
    expect(detectExcursions(series(temps), profile, open(t0 + 95 * MIN))).toEqual([]);
  });

  it('keeps a run still going open, once it is longer than the grace period', () => {
    const temps = [...Array(5).fill(-80), ...Array(31).fill(-30)];
    expect(detectExcursions(series(temps), profile, open(t0 + 36 * MIN))).toEqual([])
    const longer = [...temps, -30, -30];
    expect(detectExcursions(series(longer), profile, open(t0 + 38 * MIN))).toEqual([{ kind: 'temperature', startedAt: t0 + 5 * MIN, endedAt: null, peakC: -30, readingCount: 33 }]);
  });

  it('finds gaps longer than the maximum, and a silent logger as an open gap up to now', () => {
    const readings = [...series([-80, -80]), ...series([-80, -80], t0 + 90 * MIN)];
    expect(detectExcursions(readings, profile, open(t0 + 92 * MIN))).toEqual([{ kind: 'data_gap', startedAt: t0 + MIN, endedAt: t0 + 90 * MIN, peakC: null, readingCount: 0 }]);
    expect(detectExcursions(readings, profile, open(t0 + 160 * MIN))).toContainEqual({ kind: 'data_gap', startedAt: t0 + 91 * MIN, endedAt: null, peakC: null, readingCount: 0 });
  });

  it('counts a logger that never reported from the start of monitoring', () => {
    expect(detectExcursions([], profile, { monitoredSince: t0, until: null, now: t0 + 61 * MIN })).toEqual([{ kind: 'data_gap', startedAt: t0, endedAt: null, peakC: null, readingCount: 0 }]);
    expect(detectExcursions([], profile, { monitoredSince: t0, until: null, now: t0 + 59 * MIN })).toEqual([]);
  });

  it('gives the same answer for duplicated and shuffled readings', () => {
    const temps = [...Array(10).fill(-80), ...Array(40).fill(-50), ...Array(10).fill(-79)];
    const readings = series(temps);
    const messy = [...readings, ...readings.slice(5, 30)].sort(() => Math.random() - 0.5);
    expect(detectExcursions(messy, profile, open(t0 + 60 * MIN))).toEqual(detectExcursions(readings, profile, open(t0 + 60 * MIN)));
  });

  it('ends a journey at its end of monitoring', () => {
    const readings = series([...Array(5).fill(-80), ...Array(40).fill(-20)]);
    expect(detectExcursions(readings, profile, { monitoredSince: t0, until: t0 + 44 * MIN, now: t0 + 300 * MIN })).toEqual([
      { kind: 'temperature', startedAt: t0 + 5 * MIN, endedAt: t0 + 44 * MIN, peakC: -20, readingCount: 40 },
    ]);
  });

  it('tells when an open excursion ended from readings that arrived later', () => {
    const readings = series([-80, -50, -50, -70, -50]);
    expect(endOf('temperature', t0 + MIN, readings, -60)).toBe(t0 + 3 * MIN);
    expect(endOf('data_gap', t0 + 2 * MIN, readings, -60)).toBe(t0 + 3 * MIN);
    expect(endOf('temperature', t0 + 4 * MIN, readings, -60)).toBeNull();
  });
});
