/**
 * GS1 identifiers for vial labels: GTIN-14 check digits, element strings (01)(17)(10)(21),
 * and the GS1 Digital Link URI. Pure functions, no I/O.
 */

/** GS1 AI encodable character set 82 (the characters allowed in (10) lot and (21) serial). */
const CSET82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+$/;
/** The group separator (FNC1 as a data character) that ends a variable-length element. */
export const GS = '\u001d';

export interface Gs1Data {
  gtin: string;
  /** Expiry date, YYYY-MM-DD (printed as YYMMDD). */
  expiry: string;
  lot: string;
  serial: string;
}

/** The mod-10 check digit over the first 13 digits of a GTIN-14 (weights 3,1,3,... from the right). */
export function gtinCheckDigit(first13: string): number {
  if (!/^[0-9]{13}$/.test(first13)) throw new Error('a GTIN-14 body is 13 digits');
  let sum = 0;
  for (let i = 0; i < 13; i++) sum += Number(first13[12 - i]) * (i % 2 === 0 ? 3 : 1);
  return (10 - (sum % 10)) % 10;
}

export function isValidGtin14(gtin: string): boolean {
  return /^[0-9]{14}$/.test(gtin) && gtinCheckDigit(gtin.slice(0, 13)) === Number(gtin[13]);
}

/** YYYY-MM-DD → YYMMDD. */
export function yymmdd(date: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new Error(`not a date: ${date}`);
  return `${m[1].slice(2)}${m[2]}${m[3]}`;
}

/** Why these values cannot go on a GS1 label, or null when they can. */
export function gs1Problems(data: Partial<Gs1Data>): { field: string; rule: string; message: string }[] {
  const problems: { field: string; rule: string; message: string }[] = [];
  if (!data.gtin) problems.push({ field: 'gtin', rule: 'required', message: 'the product has no GTIN; a GS1 label needs (01)' });
  else if (!isValidGtin14(data.gtin)) problems.push({ field: 'gtin', rule: 'checkDigit', message: `GTIN ${data.gtin} is not a valid GTIN-14 (check digit)` });
  if (!data.expiry || !/^\d{4}-\d{2}-\d{2}$/.test(data.expiry)) problems.push({ field: 'expiry', rule: 'required', message: 'the vial has no expiry date' });
  for (const [field, ai] of [['lot', '10'], ['serial', '21']] as const) {
    const value = data[field];
    if (!value) problems.push({ field, rule: 'required', message: `(${ai}) ${field} is missing` });
    else if (value.length > 20 || !CSET82.test(value)) problems.push({ field, rule: 'gs1Charset', message: `(${ai}) ${field} must be 1-20 characters of GS1 set 82` });
  }
  return problems;
}

/** Human-readable element string: (01)…(17)…(10)…(21)… — also bwip-js's gs1datamatrix input. */
export function humanReadable(data: Gs1Data): string {
  return `(01)${data.gtin}(17)${yymmdd(data.expiry)}(10)${data.lot}(21)${data.serial}`;
}

/** The data a GS1 scanner reports: fixed-length AIs run on, variable ones end with GS unless last. */
export function elementString(data: Gs1Data): string {
  return `01${data.gtin}17${yymmdd(data.expiry)}10${data.lot}${GS}21${data.serial}`;
}

const FIXED: Record<string, number> = { '00': 18, '01': 14, '02': 14, '11': 6, '12': 6, '13': 6, '15': 6, '16': 6, '17': 6 };
const VARIABLE = new Set(['10', '21', '22', '240', '241', '250', '251', '400']);

/**
 * Parses scanner output (optionally starting with the FNC1/GS of GS1 mode, or "]d2") into
 * { AI: value }. Throws on an AI it does not know.
 */
export function parseElementString(raw: string): Record<string, string> {
  let s = raw.replace(/^\]d2/, '').replace(new RegExp(`^${GS}`), '');
  const out: Record<string, string> = {};
  while (s.length > 0) {
    const ai = s.slice(0, 2) in FIXED || VARIABLE.has(s.slice(0, 2)) ? s.slice(0, 2) : s.slice(0, 3);
    if (FIXED[ai]) {
      out[ai] = s.slice(2, 2 + FIXED[ai]);
      s = s.slice(2 + FIXED[ai]).replace(new RegExp(`^${GS}`), '');
    } else if (VARIABLE.has(ai)) {
      const rest = s.slice(ai.length);
      const end = rest.indexOf(GS);
      out[ai] = end === -1 ? rest : rest.slice(0, end);
      s = end === -1 ? '' : rest.slice(end + 1);
    } else {
      throw new Error(`unknown application identifier at "${s.slice(0, 6)}"`);
    }
  }
  return out;
}

/** GS1 Digital Link URI on the given base: /01/{gtin}/10/{lot}/21/{serial}?17={YYMMDD}. */
export function digitalLink(baseUrl: string, data: Gs1Data): string {
  const base = baseUrl.replace(/\/+$/, '');
  const enc = (v: string) => encodeURIComponent(v);
  return `${base}/01/${data.gtin}/10/${enc(data.lot)}/21/${enc(data.serial)}?17=${yymmdd(data.expiry)}`;
}
