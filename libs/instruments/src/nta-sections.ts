import type { CsvRow } from './csv.js';

/** One `[Name]` block of an NTA summary: the header row and the rows until the next block. */
export interface NtaSection {
  /** Name without brackets, as written ("Results", "Size Data"). */
  name: string;
  header: CsvRow;
  rows: CsvRow[];
}

export function splitSections(rows: CsvRow[]): NtaSection[] {
  const sections: NtaSection[] = [];
  let current: NtaSection | null = null;
  for (const row of rows) {
    const first = (row.cells[0] ?? '').trim();
    const match = /^\[(.+)\]$/.exec(first);
    if (match) {
      current = { name: match[1].trim(), header: row, rows: [] };
      sections.push(current);
    } else if (current) {
      current.rows.push(row);
    }
  }
  return sections;
}

/** Case-, whitespace- and trailing-colon-insensitive form of a row label. */
export function normaliseLabel(label: string): string {
  return label.trim().toLowerCase().replace(/\s+/g, ' ').replace(/\s*:$/, '');
}

/** The label with parenthesised units removed: "Concentration (Particles / ml)" → "concentration". */
function labelWithoutUnits(label: string): string {
  return normaliseLabel(label.replace(/\([^)]*\)/g, ' ')).trim();
}

/**
 * Finds a row by label. Versions 3.2–3.4 rename and reorder rows, so rows are matched by name
 * (full label or label without units) against a list of known aliases, never by position.
 */
export function findRow(rows: CsvRow[], aliases: readonly string[]): CsvRow | undefined {
  const wanted = new Set(aliases.map(normaliseLabel));
  const exact = rows.find((row) => wanted.has(normaliseLabel(row.cells[0] ?? '')));
  return exact ?? rows.find((row) => wanted.has(labelWithoutUnits(row.cells[0] ?? '')));
}

export function findSection(sections: NtaSection[], name: string): NtaSection | undefined {
  const wanted = normaliseLabel(name);
  return sections.find((section) => normaliseLabel(section.name) === wanted);
}

/** Where the per-video, Average and Standard Error columns sit in a table. */
export interface ColumnLayout {
  videoColumns: number[];
  averageColumn: number | null;
  standardErrorColumn: number | null;
}

export function layoutFromHeader(header: CsvRow | undefined, videoCount: number): ColumnLayout {
  let averageColumn: number | null = null;
  let standardErrorColumn: number | null = null;
  // Summary columns follow the video columns; looking only there keeps a video that happens to
  // be named "average" from being mistaken for the Average column.
  header?.cells.forEach((cell, index) => {
    if (index <= videoCount) return;
    const label = normaliseLabel(cell);
    if (averageColumn === null && /\baverage\b/.test(label)) averageColumn = index;
    else if (standardErrorColumn === null && /^(standard error|sem?)$/.test(label)) standardErrorColumn = index;
  });
  return {
    videoColumns: Array.from({ length: videoCount }, (_, i) => i + 1),
    averageColumn,
    standardErrorColumn,
  };
}

/** NTA writes numbers plainly; anything else ("Not recorded", "", "N/A") is absent, not zero. */
export function parseNumber(cell: string | undefined): number | null {
  if (cell === undefined) return null;
  const text = cell.trim().replace(/^"|"$/g, '');
  if (text === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return null;
  return Number(text);
}

export function cellAt(row: CsvRow | undefined, column: number | null): string | undefined {
  if (!row || column === null) return undefined;
  return row.cells[column];
}
