/** What a verification code names, once read. */
export type ParsedCode =
  | { kind: 'identifiers'; gtin?: string; lot?: string; serial?: string; expiry?: string }
  | { kind: 'plain'; value: string }
  | { kind: 'invalid' };

const GS = '\u001d';
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$/;
const AI_FIXED: Record<string, number> = { '01': 14, '17': 6 };

/**
 * Reads a lot number, a vial serial, a GS1 Digital Link URL or path
 * (…/01/<GTIN>/10/<lot>/21/<serial>?17=<YYMMDD>), or a GS1 element string, either
 * bracketed "(01)…(17)…(10)…(21)…" or as a scanner sends it (optional "]d2", GS separators).
 */
export function parseVerificationCode(input: string): ParsedCode {
  const code = input.trim();
  if (!code || code.length > 512) return { kind: 'invalid' };
  const link = parseDigitalLink(code);
  if (link) return link;
  if (code.startsWith('(')) return parseBracketed(code);
  if (code.startsWith(']d2') || code.includes(GS) || /^01\d{14}(17\d{6})?(10|21)/.test(code)) return parseRawElementString(code.replace(/^\]d2/, ''));
  return PLAIN.test(code) ? { kind: 'plain', value: code } : { kind: 'invalid' };
}

function parseDigitalLink(code: string): ParsedCode | null {
  let pathAndQuery = code;
  if (/^https?:\/\//i.test(code)) {
    try {
      const url = new URL(code);
      pathAndQuery = url.pathname + url.search;
    } catch {
      return { kind: 'invalid' };
    }
  }
  const match = /^\/?(?:.*?\/)?01\/(\d{14})(?:\/10\/([^/?#]{1,20}))?(?:\/21\/([^/?#]{1,20}))?\/?(?:\?(.*))?$/.exec(pathAndQuery);
  if (!match) return /^https?:\/\//i.test(code) || code.startsWith('/') ? { kind: 'invalid' } : null;
  const [, gtin, lot, serial, query] = match;
  const expiry = query ? new URLSearchParams(query).get('17') ?? undefined : undefined;
  return clean({ kind: 'identifiers' as const, gtin, lot: decode(lot), serial: decode(serial), expiry });
}

function parseBracketed(code: string): ParsedCode {
  const parts = [...code.matchAll(/\((\d{2})\)([^()]*)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== code.replace(/\s+/g, '')) return { kind: 'invalid' };
  return fromAis(parts.map(([, ai, value]) => [ai, value]));
}

function parseRawElementString(code: string): ParsedCode {
  const pairs: [string, string][] = [];
  let rest = code;
  while (rest.length > 0) {
    const ai = rest.slice(0, 2);
    rest = rest.slice(2);
    const fixed = AI_FIXED[ai];
    if (fixed) {
      pairs.push([ai, rest.slice(0, fixed)]);
      rest = rest.slice(fixed);
    } else {
      const end = rest.indexOf(GS);
      pairs.push([ai, end === -1 ? rest : rest.slice(0, end)]);
      rest = end === -1 ? '' : rest.slice(end + 1);
    }
    if (rest.startsWith(GS)) rest = rest.slice(1);
  }
  return fromAis(pairs);
}

function fromAis(pairs: [string, string][]): ParsedCode {
  const out: { gtin?: string; lot?: string; serial?: string; expiry?: string } = {};
  for (const [ai, value] of pairs) {
    if (ai === '01' && /^\d{14}$/.test(value)) out.gtin = value;
    else if (ai === '17' && /^\d{6}$/.test(value)) out.expiry = value;
    else if (ai === '10' && value.length > 0 && value.length <= 20) out.lot = value;
    else if (ai === '21' && value.length > 0 && value.length <= 20) out.serial = value;
    else return { kind: 'invalid' };
  }
  return out.lot || out.serial ? clean({ kind: 'identifiers' as const, ...out }) : { kind: 'invalid' };
}

function decode(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function clean<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
