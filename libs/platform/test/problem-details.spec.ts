import { QueryFailedError } from 'typeorm';
import { DomainError } from '../src/errors/domain-error.js';
import { classifyError, logProblem, problemFor } from '../src/errors/problem-details.filter.js';

describe('infrastructure errors as problem details', () => {
  it('maps a full disk (SQLSTATE 53100 from PostgreSQL, ENOSPC from the filesystem) to 507, not 500', () => {
    const driverError = Object.assign(new Error('could not extend file "base/1/2": No space left on device'), { code: '53100' });
    const fromTypeorm = new QueryFailedError('INSERT INTO instrument_files …', [], driverError);
    for (const error of [fromTypeorm, driverError, Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })]) {
      expect(classifyError(error)).toMatchObject({ status: 507, code: 'service.insufficient_storage' });
    }
  });

  it('still maps an unreachable database to 503 and anything unknown to 500', () => {
    expect(classifyError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toMatchObject({ status: 503, code: 'service.unavailable' });
    expect(classifyError(new Error('Connection terminated unexpectedly'))).toMatchObject({ status: 503 });
    expect(classifyError(new Error('boom'))).toMatchObject({ status: 500, code: 'internal' });
  });
});

describe('a query the database did not answer in time', () => {
  it('is a 503 whether pg gave up (query_timeout) or the server cancelled it (statement_timeout, 57014)', () => {
    const clientSide = new Error('Query read timeout');
    const serverSide = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
    for (const error of [clientSide, new QueryFailedError('SELECT 1', [], clientSide), new QueryFailedError('SELECT 1', [], serverSide)]) {
      expect(classifyError(error)).toMatchObject({ status: 503, code: 'service.unavailable', detail: expect.stringMatching(/did not answer in time/) });
    }
  });
});

describe('how a 5xx is logged', () => {
  const request = { id: 'req-1', url: '/batches?x=1' };
  const logged = (exception: unknown) => {
    const lines: { level: 'warn' | 'error'; fields: Record<string, unknown>; message: string }[] = [];
    logProblem(problemFor(exception, request), exception, {
      warn: (fields: Record<string, unknown>, message: string) => lines.push({ level: 'warn', fields, message }),
      error: (fields: Record<string, unknown>, message: string) => lines.push({ level: 'error', fields, message }),
    } as never);
    return lines;
  };

  it('logs an outage (503, 507) at warn with the code and request id and no stack', () => {
    const outages = [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      new QueryFailedError('INSERT …', [], new Error('Query read timeout')),
      new DomainError('service.unavailable', 'A dependency is not reachable.'),
      Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }),
    ];
    for (const error of outages) {
      const lines = logged(error);
      expect(lines).toEqual([{ level: 'warn', message: expect.any(String), fields: expect.objectContaining({ requestId: 'req-1', code: expect.stringMatching(/^service\./), status: expect.any(Number) }) }]);
      expect(JSON.stringify(lines)).not.toMatch(/stack|\\n\s*at /);
    }
  });

  it('logs an unexpected error at error with its stack, and a refusal (4xx) not at all', () => {
    const bug = new TypeError('cannot read properties of undefined');
    expect(logged(bug)).toEqual([{ level: 'error', message: 'request failed', fields: expect.objectContaining({ requestId: 'req-1', status: 500, code: 'internal', err: expect.objectContaining({ stack: bug.stack }) }) }]);
    expect(logged(new DomainError('batch.not_found', 'No such batch.'))).toEqual([]);
  });
});
