import { parseVerificationCode } from '../src/verification-code.js';

describe('reading a verification code', () => {
  it('reads a GS1 Digital Link URL as printed beside the DataMatrix', () => {
    expect(parseVerificationCode('https://verify.example.org/01/09506000134352/10/L2611-00001/21/K7QX9M2RT4VW?17=271123')).toEqual({
      kind: 'identifiers', gtin: '09506000134352', lot: 'L2611-00001', serial: 'K7QX9M2RT4VW', expiry: '271123',
    });
  });

  it('reads a Digital Link path and a lot-only link', () => {
    expect(parseVerificationCode('/01/09506000134352/10/L2611-00001/21/K7QX9M2RT4VW')).toMatchObject({ lot: 'L2611-00001', serial: 'K7QX9M2RT4VW' });
    expect(parseVerificationCode('01/09506000134352/10/L2611-00001')).toEqual({ kind: 'identifiers', gtin: '09506000134352', lot: 'L2611-00001' });
  });

  it('reads bracketed and raw GS1 element strings (with GS separators and the ]d2 prefix)', () => {
    expect(parseVerificationCode('(01)09506000134352(17)271123(10)L2611-00001(21)K7QX9M2RT4VW')).toEqual({ kind: 'identifiers', gtin: '09506000134352', expiry: '271123', lot: 'L2611-00001', serial: 'K7QX9M2RT4VW' });
    expect(parseVerificationCode(']d2010950600013435217271123' + '10L2611-00001\u001d21K7QX9M2RT4VW')).toEqual({ kind: 'identifiers', gtin: '09506000134352', expiry: '271123', lot: 'L2611-00001', serial: 'K7QX9M2RT4VW' });
  });

  it('takes a bare lot number or serial as plain', () => {
    expect(parseVerificationCode('  L2611-00001 ')).toEqual({ kind: 'plain', value: 'L2611-00001' });
  });

  it('calls anything else invalid, without throwing', () => {
    for (const bad of ['', ' ', 'x'.repeat(600), "' OR 1=1 --", '<script>', 'https://x/02/123', '(01)123', '(99)abc', 'https://[bad']) {
      expect(parseVerificationCode(bad)).toEqual({ kind: 'invalid' });
    }
  });
});
