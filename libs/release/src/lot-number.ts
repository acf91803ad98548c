/** Renders a lot number from the configured format. Pure; the sequence comes from PostgreSQL. */
export function formatLotNumber(format: string, input: { date: Date; productCode: string; sequence: number }): string {
  const d = input.date;
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  return format
    .replace(/\{YYYY\}/g, String(d.getUTCFullYear()))
    .replace(/\{YY\}/g, pad(d.getUTCFullYear() % 100, 2))
    .replace(/\{MM\}/g, pad(d.getUTCMonth() + 1, 2))
    .replace(/\{DD\}/g, pad(d.getUTCDate(), 2))
    .replace(/\{PRODUCT\}/g, input.productCode)
    .replace(/\{SEQ(?::(\d))?\}/g, (_, width) => pad(input.sequence, width ? Number(width) : 1));
}
