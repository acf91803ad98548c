import { QueryFailedError } from 'typeorm';
import { classifyError } from '../src/errors/problem-details.filter.js';

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
