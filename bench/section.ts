import { performance } from 'node:perf_hooks';

/**
 * One benchmark section: bench/run.ts runs them in order, or only those named on the command
 * line (`npm run bench -- fcs`). A section measures its own baseline in the same run and prints
 * figures with ratios against it; nothing here asserts on timings.
 */
export interface BenchSection {
  name: string;
  title: string;
  run(): Promise<void>;
}

export const MiB = 1024 * 1024;

export function heading(section: BenchSection): void {
  console.log(`\n== ${section.name}: ${section.title}`);
}

/** Prints aligned "label  value  note" rows. */
export function table(rows: [label: string, value: string, note?: string][]): void {
  const width = Math.max(...rows.map(([label]) => label.length));
  const valueWidth = Math.max(...rows.map(([, value]) => value.length));
  for (const [label, value, note] of rows) console.log(`  ${label.padEnd(width)}  ${value.padStart(valueWidth)}${note ? `  ${note}` : ''}`);
}

export function fixed(value: number, digits = 1): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function ratio(value: number, baseline: number): string {
  return `${fixed(value / baseline, 3)}×`;
}

/** Value at a percentile (0–100) of an ascending array, nearest-rank. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

export interface LoadResult {
  count: number;
  elapsedMs: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Runs `count` tasks with at most `concurrency` in flight; records each task's latency. */
export async function runBounded(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      await task(i);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return { count, elapsedMs, perSecond: (count / elapsedMs) * 1000, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

export function loadRow(label: string, load: LoadResult, unit: string, baseline?: LoadResult): [string, string, string] {
  const note = `p50 ${fixed(load.p50Ms, 2)} ms, p99 ${fixed(load.p99Ms, 2)} ms, n=${load.count}${baseline ? `, ${ratio(load.perSecond, baseline.perSecond)} of baseline` : ''}`;
  return [label, `${fixed(load.perSecond)} ${unit}`, note];
}
