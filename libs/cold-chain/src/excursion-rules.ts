/**
 * Excursion detection over a logger's readings. Pure: the same readings and profile always
 * give the same excursions, so re-running detection never invents or doubles one.
 *
 * - Temperature: a run of consecutive readings above the alarm limit is an excursion when it
 *   lasts longer than the grace period. It starts at the first reading above the limit and ends
 *   at the first reading back at or below it (conservatively: the product was warm until then).
 *   A run still going at the last reading lasts, so far, until that reading; it stays open.
 * - Data gap: two consecutive points further apart than the maximum gap. The points are the
 *   readings plus the start of monitoring (when nothing was read before) and, at the end, the
 *   end of monitoring or now — so a logger that fell silent gives an open gap excursion.
 */
export interface Reading {
  /** Epoch milliseconds. */
  at: number;
  c: number;
}

export interface MonitorProfile {
  limitC: number;
  graceSeconds: number;
  maxGapSeconds: number;
}

export interface DetectionWindow {
  /** Start of monitoring, used as the point before the first reading (null: a reading before the window anchors it). */
  monitoredSince: number | null;
  /** End of monitoring (a shipment received), or null while it goes on. */
  until: number | null;
  now: number;
}

export type ExcursionKind = 'temperature' | 'data_gap';

export interface DetectedExcursion {
  kind: ExcursionKind;
  startedAt: number;
  /** null while it goes on. */
  endedAt: number | null;
  peakC: number | null;
  readingCount: number;
}

/** Sorts by time and drops repeated times (the first value wins, as the database keeps the first). */
export function normalise(readings: Reading[]): Reading[] {
  const sorted = [...readings].sort((a, b) => a.at - b.at);
  return sorted.filter((r, i) => i === 0 || r.at !== sorted[i - 1].at);
}

export function detectExcursions(input: Reading[], profile: MonitorProfile, window: DetectionWindow): DetectedExcursion[] {
  const readings = normalise(input).filter((r) => window.until === null || r.at <= window.until);
  return [...temperatureRuns(readings, profile, window), ...gaps(readings, profile, window)].sort((a, b) => a.startedAt - b.startedAt || a.kind.localeCompare(b.kind));
}

function temperatureRuns(readings: Reading[], profile: MonitorProfile, window: DetectionWindow): DetectedExcursion[] {
  const out: DetectedExcursion[] = [];
  const grace = profile.graceSeconds * 1000;
  let run: { start: number; last: number; peak: number; count: number } | null = null;
  for (const r of readings) {
    if (r.c > profile.limitC) {
      if (!run) run = { start: r.at, last: r.at, peak: r.c, count: 1 };
      else {
        run.last = r.at;
        run.peak = Math.max(run.peak, r.c);
        run.count += 1;
      }
    } else if (run) {
      if (r.at - run.start > grace) out.push({ kind: 'temperature', startedAt: run.start, endedAt: r.at, peakC: run.peak, readingCount: run.count });
      run = null;
    }
  }
  if (run && run.last - run.start > grace) {
    out.push({ kind: 'temperature', startedAt: run.start, endedAt: window.until, peakC: run.peak, readingCount: run.count });
  }
  return out;
}

function gaps(readings: Reading[], profile: MonitorProfile, window: DetectionWindow): DetectedExcursion[] {
  const out: DetectedExcursion[] = [];
  const maxGap = profile.maxGapSeconds * 1000;
  const points = readings.map((r) => r.at);
  if (window.monitoredSince !== null && (points.length === 0 || points[0] > window.monitoredSince)) points.unshift(window.monitoredSince);
  for (let i = 1; i < points.length; i++) {
    if (points[i] - points[i - 1] > maxGap) out.push({ kind: 'data_gap', startedAt: points[i - 1], endedAt: points[i], peakC: null, readingCount: 0 });
  }
  const end = window.until ?? window.now;
  const last = points[points.length - 1];
  if (last !== undefined && end - last > maxGap) out.push({ kind: 'data_gap', startedAt: last, endedAt: window.until, peakC: null, readingCount: 0 });
  return out;
}

/**
 * When an open excursion (recorded earlier) ended, given the readings now known: the first
 * reading back at or below the limit after its start (temperature), or the first reading
 * after its start (gap). null: still open. Used when late readings change a run's shape.
 */
export function endOf(kind: ExcursionKind, startedAt: number, readings: Reading[], limitC: number): number | null {
  const after = normalise(readings).filter((r) => r.at > startedAt);
  const hit = kind === 'temperature' ? after.find((r) => r.c <= limitC) : after[0];
  return hit ? hit.at : null;
}
