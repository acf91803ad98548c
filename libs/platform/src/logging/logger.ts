import type { LoggerService } from '@nestjs/common';
import { type DestinationStream, pino, type Logger } from 'pino';

/** JSON logs (pino) for the whole process, to stdout unless a destination is given (tests read them); Fastify adds the request id to request logs. */
export function createRootLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { service: 'exolot', pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** Routes Nest's own logging through pino, so every line is JSON. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, ...rest: unknown[]) { this.write('info', message, rest); }
  error(message: unknown, ...rest: unknown[]) { this.write('error', message, rest); }
  warn(message: unknown, ...rest: unknown[]) { this.write('warn', message, rest); }
  debug(message: unknown, ...rest: unknown[]) { this.write('debug', message, rest); }
  verbose(message: unknown, ...rest: unknown[]) { this.write('trace', message, rest); }
  fatal(message: unknown, ...rest: unknown[]) { this.write('fatal', message, rest); }

  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, rest: unknown[]): void {
    const context = typeof rest[rest.length - 1] === 'string' ? String(rest[rest.length - 1]) : undefined;
    if (message && typeof message === 'object') this.logger[level]({ context, ...(message as object) }, typeof rest[0] === 'string' && rest.length > 1 ? String(rest[0]) : undefined);
    else this.logger[level]({ context }, String(message));
  }
}
