import { digitalLink, elementString, GS, gs1Problems, gtinCheckDigit, humanReadable, isValidGtin14, parseElementString, yymmdd } from '../src/gs1.js';

const label = { gtin: '09506000134352', expiry: '2027-03-31', lot: 'L2611-00042', serial: 'K7M9X2PQ4RTW' };

describe('GS1 identifiers', () => {
  it('computes and checks the GTIN-14 mod-10 check digit', () => {
    expect(gtinCheckDigit('0950600013435')).toBe(2);
    expect(gtinCheckDigit('0001234560001')).toBe(2);
    expect(isValidGtin14('09506000134352')).toBe(true);
    expect(isValidGtin14('09506000134353')).toBe(false);
    expect(isValidGtin14('9506000134352')).toBe(false);
    expect(isValidGtin14('0950600013435X')).toBe(false);
  });

  it('writes the element strings (01)(17)(10)(21), with GS after the variable-length lot', () => {
    expect(yymmdd('2027-03-31')).toBe('270331');
    expect(humanReadable(label)).toBe('(01)09506000134352(17)270331(10)L2611-00042(21)K7M9X2PQ4RTW');
    expect(elementString(label)).toBe(`01095060001343521727033110L2611-00042${GS}21K7M9X2PQ4RTW`);
  });

  it('parses scanner output back into the same elements (GS1 mode FNC1 first, or ]d2)', () => {
    const expected = { '01': label.gtin, '17': '270331', '10': label.lot, '21': label.serial };
    expect(parseElementString(`${GS}${elementString(label)}`)).toEqual(expected);
    expect(parseElementString(`]d2${elementString(label)}`)).toEqual(expected);
    expect(() => parseElementString('99abc')).toThrow(/unknown application identifier/);
  });

  it('builds the Digital Link URI, encoding lot and serial', () => {
    expect(digitalLink('https://exolot.example/', label)).toBe('https://exolot.example/01/09506000134352/10/L2611-00042/21/K7M9X2PQ4RTW?17=270331');
    expect(digitalLink('http://127.0.0.1:3000', { ...label, lot: 'L26/11 A' })).toContain('/10/L26%2F11%20A/');
  });

  it('refuses a missing GTIN, a wrong check digit and over-long or non-GS1 lot/serial', () => {
    expect(gs1Problems(label)).toEqual([]);
    expect(gs1Problems({ ...label, gtin: undefined })).toEqual([expect.objectContaining({ field: 'gtin', rule: 'required' })]);
    expect(gs1Problems({ ...label, gtin: '09506000134353' })).toEqual([expect.objectContaining({ field: 'gtin', rule: 'checkDigit' })]);
    expect(gs1Problems({ ...label, lot: 'L'.repeat(21), serial: 'SN with space' }).map((p) => p.field)).toEqual(['lot', 'serial']);
  });
});
