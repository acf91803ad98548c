import type { NtaSection } from './nta-sections.js';

export interface NtaWarningRow {
  label: string;
  /** One value per video, as written ("OK", "No", "Too low" ...). */
  values: string[];
}

/** Values that mean "nothing to report" in the warning tables. */
const CLEAN_WARNING_VALUES = new Set(['', 'ok', 'no', 'none', 'n/a', 'na', '-']);

/** The [Concentration Warnings] table as written: one value per video for each check. */
export function warningRows(section: NtaSection | undefined, videoCount: number): NtaWarningRow[] {
  if (!section) return [];
  return section.rows
    .filter((row) => (row.cells[0] ?? '').trim() !== '')
    .map((row) => ({
      label: row.cells[0].trim(),
      values: Array.from({ length: videoCount }, (_, i) => (row.cells[i + 1] ?? '').trim()),
    }));
}

/**
 * Human-readable warnings: every non-clean entry of the warning table, plus any text in the
 * [Information] "Errors (n)" / "Warnings" rows. "No" counts as clean because NTA uses it for
 * checks such as "Noise level", where it means no problem was found.
 */
export function describeWarnings(concentrationWarnings: NtaWarningRow[], information: NtaSection | undefined, videoNames: string[]): string[] {
  const warnings: string[] = [];
  for (const row of concentrationWarnings) {
    row.values.forEach((value, i) => {
      if (!CLEAN_WARNING_VALUES.has(value.toLowerCase())) warnings.push(`${row.label}: ${value} (video ${i + 1}, ${videoNames[i]})`);
    });
  }
  // [Information] lists free-text "Errors (n)" rows; any text there is an instrument message.
  for (const row of information?.rows ?? []) {
    const label = (row.cells[0] ?? '').trim();
    if (!/^(errors?|warnings?)\b/i.test(label)) continue;
    row.cells.slice(1).forEach((cell, i) => {
      const text = cell.trim();
      if (!CLEAN_WARNING_VALUES.has(text.toLowerCase())) warnings.push(`${label}: ${text} (video ${i + 1}, ${videoNames[i] ?? '?'})`);
    });
  }
  return warnings;
}
