import type { DestinationStream } from 'pino';

export type LogLine = Record<string, unknown> & { level?: number; msg?: string };

/** The JSON lines among a process's output (other lines, e.g. TypeORM's console.log, are skipped). */
export function jsonLines(output: readonly string[]): LogLine[] {
  const lines: LogLine[] = [];
  for (const text of output) {
    if (!text.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      /* not a log line */
    }
  }
  return lines;
}

/** A pino destination that keeps what an in-process app logs, so a test can read the levels. */
export class LogCapture implements DestinationStream {
  readonly output: string[] = [];

  write(chunk: string): void {
    for (const line of chunk.split('\n')) if (line) this.output.push(line);
  }

  get lines(): LogLine[] {
    return jsonLines(this.output);
  }
}
