import { performance } from 'node:perf_hooks';
import type { HttpResult } from '../../support/test-app.js';

/** One request of a load run: when it started and ended (performance.now() ms), and what came back. */
export interface Sample<T = any> {
  lane: number;
  startedAt: number;
  endedAt: number;
  /** The HTTP status, or null when no answer came (connection error or the time limit). */
  status: number | null;
  error?: string;
  result?: HttpResult<T>;
}

/**
 * A steady write load: `lanes` loops each sending one request after another until stop().
 * Every exchange is bounded by `timeoutMs` (an exchange over it is recorded as a timeout, so a
 * hang shows up in the samples instead of stalling the test).
 */
export class Load<T = any> {
  readonly samples: Sample<T>[] = [];
  private stopping = false;
  private running: Promise<void>[] = [];

  constructor(
    private readonly send: (lane: number, index: number) => Promise<HttpResult<T>>,
    private readonly options: { lanes: number; timeoutMs: number; pauseMs?: number },
  ) {}

  start(): this {
    this.running = Array.from({ length: this.options.lanes }, (_, lane) => this.lane(lane));
    return this;
  }

  async stop(): Promise<Sample<T>[]> {
    this.stopping = true;
    await Promise.all(this.running);
    return this.samples;
  }

  /** Samples whose request started at or after `t`. */
  startedAfter(t: number): Sample<T>[] {
    return this.samples.filter((s) => s.startedAt >= t);
  }

  /** The first sample with a status matching `ok` that started at or after `t` (by end time). */
  firstAfter(t: number, ok: (status: number) => boolean): Sample<T> | undefined {
    return this.startedAfter(t).filter((s) => s.status !== null && ok(s.status)).sort((a, b) => a.endedAt - b.endedAt)[0];
  }

  /** Waits (bounded) until `count` samples matching `ok` started after `t`. */
  async waitFor(t: number, ok: (status: number) => boolean, count: number, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (this.startedAfter(t).filter((s) => s.status !== null && ok(s.status)).length >= count) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  }

  private async lane(lane: number): Promise<void> {
    let index = 0;
    while (!this.stopping) {
      const startedAt = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      });
      try {
        const result = await Promise.race([this.send(lane, index++), timeout]);
        this.samples.push({ lane, startedAt, endedAt: performance.now(), status: result.status, result });
        // A client backs off a little after a refusal (the API says retry-after); keeps the logs readable.
        if (result.status >= 500) await new Promise((r) => setTimeout(r, 20));
      } catch (error) {
        this.samples.push({ lane, startedAt, endedAt: performance.now(), status: null, error: (error as Error).message });
        // A refused connection fails at once: do not spin.
        await new Promise((r) => setTimeout(r, 50));
      } finally {
        clearTimeout(timer);
      }
      if (this.options.pauseMs) await new Promise((r) => setTimeout(r, this.options.pauseMs));
    }
  }
}

export function summarise(samples: Sample[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of samples) {
    const key = s.status === null ? `error: ${s.error}` : String(s.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const ms = (value: number) => `${Math.round(value)} ms`;
export const report = (message: string) => process.stderr.write(`[faults] ${message}\n`);

/**
 * The in-process app's TypeORM prints every failed query with its parameters to console.log
 * (a 2 MiB upload becomes megabytes of output): silenced for the part of a test that fails them on purpose.
 */
export function muteConsoleLog(): () => void {
  const original = console.log;
  console.log = () => undefined;
  return () => {
    console.log = original;
  };
}
