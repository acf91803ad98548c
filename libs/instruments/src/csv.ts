import { InstrumentFileError, type InstrumentFormat } from './errors.js';

export interface CsvRow {
  /** 1-based line number where the row starts (for error locations). */
  line: number;
  cells: string[];
}

/**
 * RFC 4180 reader: comma separated, double-quoted fields may hold commas, quotes ("") and line
 * breaks; CRLF, LF and lone CR all end a record. Cells are returned untrimmed.
 */
export function parseCsv(text: string, format?: InstrumentFormat): CsvRow[] {
  const rows: CsvRow[] = [];
  let cells: string[] = [];
  let cell = '';
  let line = 1;
  let rowLine = 1;
  let i = 0;
  const length = text.length;

  const endRow = (): void => {
    cells.push(cell);
    rows.push({ line: rowLine, cells });
    cells = [];
    cell = '';
  };

  while (i < length) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */ && cell === '') {
      const quoteLine = line;
      i++;
      for (;;) {
        if (i >= length) {
          throw new InstrumentFileError('instrument.truncated', 'A quoted CSV field is never closed.', { line: quoteLine }, format);
        }
        const q = text.charCodeAt(i);
        if (q === 0x22) {
          if (text.charCodeAt(i + 1) === 0x22) {
            cell += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (q === 0x0a || (q === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) line++;
        cell += text[i];
        i++;
      }
      // Text after the closing quote (non-standard) is kept, as spreadsheet tools do.
      continue;
    }
    if (ch === 0x2c /* , */) {
      cells.push(cell);
      cell = '';
      i++;
    } else if (ch === 0x0d || ch === 0x0a) {
      endRow();
      i += ch === 0x0d && text.charCodeAt(i + 1) === 0x0a ? 2 : 1;
      line++;
      rowLine = line;
    } else {
      cell += text[i];
      i++;
    }
  }
  if (cell !== '' || cells.length > 0) endRow();
  return rows;
}
