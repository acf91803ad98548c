import fc from 'fast-check';

/**
 * Hostile values: SQL meta characters and classic injections, path traversal, NUL and control
 * bytes, odd Unicode, prototype-pollution keys, numbers at the edges of every numeric type.
 */
export const SQL_INJECTIONS = [
  `' OR '1'='1`,
  `' OR 1=1 --`,
  `'; DROP TABLE batches; --`,
  `"; DROP TABLE audit_events; --`,
  `1; SELECT pg_sleep(5); --`,
  `' UNION SELECT password_hash, email FROM users --`,
  `$1`,
  `$$; DELETE FROM users; $$`,
  `\\'; TRUNCATE signatures; --`,
  `%' AND 1=(SELECT count(*) FROM pg_tables) --`,
  `E'\\x00'`,
  `') ; COPY users TO '/tmp/x'; --`,
];

export const PATH_TRAVERSALS = [
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '/etc/passwd',
  '....//....//etc/passwd',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '..%252f..%252fetc%252fpasswd',
  '../../../../../../../../../../dev/zero',
  'C:\\Windows\\System32\\drivers\\etc\\hosts',
  'file:///etc/passwd',
  '\\\\server\\share\\x',
];

export const ODD_STRINGS = [
  '',
  ' ',
  '\u0000',
  'abc\u0000def',
  '\u0000'.repeat(64),
  '\r\n\r\nHTTP/1.1 200 OK',
  '<script>alert(1)</script>',
  '=cmd|"/c calc"!A1',
  '{{7*7}}${7*7}',
  '\u202e\u0000\ufeff\ud800',
  '\ud83d\ude00'.repeat(10),
  'null',
  'undefined',
  'NaN',
  '-0',
  '1e309',
  '9'.repeat(400),
  '2026-02-30T25:61:61Z',
  '0000-00-00',
  '__proto__',
  'constructor',
  'x'.repeat(70_000),
];

export const EDGE_NUMBERS = [
  0, -0, 1, -1, 0.5, -0.5, 1e-320, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, -(2 ** 53), 2 ** 53 + 2, 1e21, 1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE, 123456789.123456789,
];

const HOSTILE_TEXT = [...SQL_INJECTIONS, ...PATH_TRAVERSALS, ...ODD_STRINGS];

/** A hostile string: a known nasty one, arbitrary Unicode (lone surrogates too), or a known one wrapped in noise. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_TEXT) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom(...HOSTILE_TEXT), fc.string({ maxLength: 8 })).map(([a, b, c]) => `${a}${b}${c}`) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 20 }) },
);

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(...EDGE_NUMBERS),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** Deeply nested arrays or objects: a parser or a validator that recurses must not fall over. */
export function nested(depth: number, kind: 'array' | 'object'): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = kind === 'array' ? [value] : { a: value };
  return value;
}

/**
 * Stands for a deeply nested value until it is serialised by toJsonText: neither fast-check nor
 * JSON.stringify (which overflows the stack at a few thousand levels) has to walk it.
 */
export class Deep {
  constructor(
    readonly depth: number,
    readonly kind: 'array' | 'object',
  ) {}

  text(): string {
    return this.kind === 'array' ? `${'['.repeat(this.depth)}"leaf"${']'.repeat(this.depth)}` : `${'{"a":'.repeat(this.depth)}"leaf"${'}'.repeat(this.depth)}`;
  }

  [fc.toStringMethod](): string {
    return `Deep(${this.depth}, ${this.kind})`;
  }
}

/** JSON text of a generated value, with each Deep written out in full. */
export function toJsonText(value: unknown): string | undefined {
  const deep: Deep[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Deep) {
      deep.push(v);
      return `\u0000deep${deep.length - 1}\u0000`;
    }
    return v;
  });
  return text?.replace(/"\\u0000deep(\d+)\\u0000"/g, (_, i: string) => deep[Number(i)].text());
}

export const deepValue: fc.Arbitrary<unknown> = fc.tuple(fc.constantFrom(50, 500, 5_000), fc.constantFrom<'array' | 'object'>('array', 'object')).map(([d, k]) => new Deep(d, k));

/** Percent-encodes any string as its UTF-8 bytes (encodeURIComponent throws on lone surrogates). */
export function pct(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Objects with keys that try prototype pollution or collide with what frameworks read. */
export const pollutingObject: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '$where', '$gt'), fc.jsonValue({ maxDepth: 2 }))
  .map(([key, value]) => JSON.parse(`{"${key}": ${JSON.stringify(value ?? null)}, "constructor": {"prototype": {"polluted": true}}}`));

/** Any JSON value a client could send, with bounded size. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 2, maxKeys: 5, withNullPrototype: true, withBigInt: false, withBoxedValues: false, withMap: false, withSet: false, withTypedArray: false, withSparseArray: false, withDate: true }) },
  { weight: 1, arbitrary: deepValue },
  { weight: 1, arbitrary: pollutingObject },
);

/** A value of the wrong kind for almost any field. */
export const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [null], ['a', 1], { $ne: null }) },
  { weight: 1, arbitrary: anyJson },
);
