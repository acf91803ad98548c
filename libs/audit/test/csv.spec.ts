import { csvCell, csvRow } from '../src/csv.js';

describe('CSV cells', () => {
  it('quotes cells with commas, quotes or line breaks and doubles the quotes', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
  });

  it('neutralises cells a spreadsheet would run as a formula', () => {
    for (const start of ['=', '+', '-', '@', '\t', '\r']) expect(csvCell(`${start}1+1`).replace(/^"/, '')).toMatch(/^'/);
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
  });

  it('writes null as empty, objects as JSON, dates as ISO, rows ending CRLF', () => {
    expect(csvRow([null, undefined, 3, { a: 1 }, new Date('2026-01-01T00:00:00Z')])).toBe(',,3,"{""a"":1}",2026-01-01T00:00:00.000Z\r\n');
  });
});
