import { deflateRawSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';

/** A named change to a file's bytes: what the fuzzer tried is printed with any failure. */
export interface Mutation {
  name: string;
  apply(bytes: Buffer): Buffer;
}

const HUGE_ASCII = ['99999999', '2147483647', '4294967295', '99999999999999999999', '-1', '0', 'NaN', '1e308', ' '];
const HUGE_U32 = [0xffffffff, 0x7fffffff, 0x80000000, 0, 1];

function indexesOf(bytes: Buffer, needle: Buffer | string, limit = 64): number[] {
  const out: number[] = [];
  for (let at = bytes.indexOf(needle); at >= 0 && out.length < limit; at = bytes.indexOf(needle, at + 1)) out.push(at);
  return out;
}

const named = (name: string, apply: (bytes: Buffer) => Buffer): Mutation => ({ name, apply, [fc.toStringMethod]: () => name }) as Mutation;

/** Truncation anywhere (including inside a header). */
const truncate = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }).map((f) => named(`truncate at ${(f * 100).toFixed(1)}%`, (b) => b.subarray(0, Math.floor(b.length * f))));

/** A few flipped bits. */
const bitFlips = fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 24 }).map((flips) =>
  named(`flip ${flips.length} bit(s)`, (b) => {
    const out = Buffer.from(b);
    for (const [f, bit] of flips) if (out.length) out[Math.floor(f * out.length)] ^= 1 << bit;
    return out;
  }),
);

/** Bytes overwritten with characters that matter to the formats (separators, quotes, NUL, 0xff). */
const overwrite = fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.constantFrom(0x00, 0xff, 0x2c, 0x0a, 0x22, 0x3c, 0x3e, 0x26, 0x7c, 0x2f, 0x39)), { minLength: 1, maxLength: 32 }).map((writes) =>
  named(`overwrite ${writes.length} byte(s)`, (b) => {
    const out = Buffer.from(b);
    for (const [f, byte] of writes) if (out.length) out[Math.floor(f * out.length)] = byte;
    return out;
  }),
);

/** A region deleted, duplicated, or garbage inserted. */
const splice = fc.tuple(fc.constantFrom('delete', 'duplicate', 'insert'), fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 1, max: 4096 }), fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([kind, f, length, garbage]) =>
  named(`${kind} ${length} bytes`, (b) => {
    const at = Math.floor(f * b.length);
    if (kind === 'delete') return Buffer.concat([b.subarray(0, at), b.subarray(at + length)]);
    if (kind === 'duplicate') return Buffer.concat([b.subarray(0, at + length), b.subarray(at)]);
    return Buffer.concat([b.subarray(0, at), Buffer.from(garbage), b.subarray(at)]);
  }),
);

/** FCS: the HEADER's six 8-character offsets, and TEXT keywords that declare sizes, given huge or absurd values. */
const fcsDeclaredLengths = fc.tuple(fc.integer({ min: 0, max: 5 }), fc.constantFrom(...HUGE_ASCII), fc.constantFrom('$TOT', '$PAR', '$P1B', '$P2B', '$BEGINDATA', '$ENDDATA', '$P1R', '$NEXTDATA', '$BEGINSTEXT', '$ENDSTEXT', '$DATATYPE', '$BYTEORD'), fc.boolean()).map(
  ([field, value, keyword, inHeader]) =>
    named(inHeader ? `FCS header field ${field} = ${value}` : `FCS ${keyword} = ${value}`, (b) => {
      const out = Buffer.from(b);
      if (inHeader) {
        if (out.length >= 58) out.write(value.slice(-8).padStart(8, ' '), 10 + field * 8, 'latin1');
        return out;
      }
      const at = out.indexOf(keyword, 0, 'latin1');
      if (at < 0 || out.length < 58) return out;
      const textStart = Number(out.toString('latin1', 10, 18).trim()) || 58;
      const delimiter = out[textStart] ?? 0x2f;
      const start = at + keyword.length + 1;
      let end = start;
      while (end < out.length && out[end] !== delimiter && end - start < 40) end++;
      return Buffer.concat([out.subarray(0, start), Buffer.from(value, 'latin1'), out.subarray(end)]);
    }),
);

/** ZIP: sizes, name lengths, counts and offsets in local headers, the central directory and its end record. */
const zipDeclaredLengths = fc.tuple(fc.constantFrom('local', 'central', 'end'), fc.integer({ min: 0, max: 7 }), fc.constantFrom(...HUGE_U32)).map(([where, field, value]) =>
  named(`ZIP ${where} field ${field} = ${value}`, (b) => {
    const out = Buffer.from(b);
    const signature = where === 'local' ? 'PK\u0003\u0004' : where === 'central' ? 'PK\u0001\u0002' : 'PK\u0005\u0006';
    const offsets = where === 'local' ? [18, 22, 14, 26, 28, 8, 6, 4] : where === 'central' ? [20, 24, 16, 28, 30, 42, 10, 32] : [12, 16, 10, 8, 20, 4, 6, 12];
    for (const at of indexesOf(out, Buffer.from(signature, 'latin1'))) {
      const pos = at + offsets[field];
      const is16 = (where === 'local' && [26, 28, 8, 6, 4].includes(offsets[field])) || (where === 'central' && [28, 30, 10, 32].includes(offsets[field])) || (where === 'end' && [10, 8, 20, 4, 6].includes(offsets[field]));
      if (is16 && pos + 2 <= out.length) out.writeUInt16LE(value & 0xffff, pos);
      else if (pos + 4 <= out.length) out.writeUInt32LE(value >>> 0, pos);
    }
    return out;
  }),
);

/** gzip: the trailer's declared size, header flags (FEXTRA with a huge length), the compression method. */
const gzipDeclaredLengths = fc.tuple(fc.constantFrom('isize', 'flags', 'method', 'crc'), fc.constantFrom(...HUGE_U32)).map(([field, value]) =>
  named(`gzip ${field} = ${value}`, (b) => {
    const out = Buffer.from(b);
    if (out.length < 18) return out;
    if (field === 'isize') out.writeUInt32LE(value >>> 0, out.length - 4);
    if (field === 'crc') out.writeUInt32LE(value >>> 0, out.length - 8);
    if (field === 'method') out[2] = value & 0xff;
    if (field === 'flags') {
      out[3] = 0x04 | (value & 0x1b);
      out.writeUInt16LE(value & 0xffff, 10);
    }
    return out;
  }),
);

/** Text formats: numbers made huge, cells multiplied, lines made enormous. */
const textAbuse = fc.tuple(fc.constantFrom('numbers', 'columns', 'line', 'quotes', 'nul'), fc.constantFrom('1e308', '-1e308', '9'.repeat(400), 'NaN', 'Infinity', '-0', '1,000,000')).map(([kind, value]) =>
  named(`text ${kind} ${value.slice(0, 12)}`, (b) => {
    const text = b.toString('latin1');
    if (kind === 'numbers') return Buffer.from(text.replace(/\d+\.\d+/g, value), 'latin1');
    if (kind === 'columns') return Buffer.from(text.replace(/\n/, `\n${Array.from({ length: 5000 }, () => value).join(',')}\n`), 'latin1');
    if (kind === 'line') return Buffer.from(text.replace(/\n/, `\n${'A'.repeat(2_000_000)}\n`), 'latin1');
    if (kind === 'quotes') return Buffer.from(text.replace(/,/g, ',"'), 'latin1');
    return Buffer.from(text.replace(/,/g, ',\u0000'), 'latin1');
  }),
);

/** Any of the generic mutations, plus the format's own declared-length attacks. */
export function mutationsFor(sampleName: string): fc.Arbitrary<Mutation> {
  const generic = [truncate, bitFlips, overwrite, splice];
  if (sampleName.endsWith('.fcs')) return fc.oneof(...generic, fcsDeclaredLengths, fcsDeclaredLengths);
  if (sampleName.endsWith('.rdml')) return fc.oneof(...generic, zipDeclaredLengths, zipDeclaredLengths);
  if (sampleName.endsWith('.gz')) return fc.oneof(...generic, gzipDeclaredLengths);
  return fc.oneof(...generic, textAbuse);
}

/** A minimal ZIP holding one deflated entry (for bombs: tiny on the wire, huge when expanded). */
export function zipWith(name: string, content: Buffer, declaredSize = content.length): Buffer {
  const data = deflateRawSync(content, { level: 9 });
  const nameBytes = Buffer.from(name, 'utf8');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(0, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(declaredSize, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(0, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(declaredSize, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  central.writeUInt32LE(0, 42);
  const directoryOffset = local.length + nameBytes.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + nameBytes.length, 12);
  end.writeUInt32LE(directoryOffset, 16);
  return Buffer.concat([local, nameBytes, data, central, nameBytes, end]);
}

/** Crafted bombs and pathological files, each expected to be refused (422) quickly and within memory. */
export function craftedHostileFiles(expandTo = 24 * 1024 * 1024): { name: string; filename: string; bytes: Buffer }[] {
  const zeros = Buffer.alloc(expandTo);
  const mib = Math.round(expandTo / 1024 / 1024);
  const rdmlHead = Buffer.from('<?xml version="1.0"?><rdml xmlns="http://www.rdml.org" version="1.2">');
  return [
    { name: `gzip bomb (${mib} MiB of zeros)`, filename: 'bomb.xml.gz', bytes: gzipSync(zeros, { level: 9 }) },
    { name: 'gzip bomb with an XML head', filename: 'bomb.xml.gz', bytes: gzipSync(Buffer.concat([Buffer.from('<?xml version="1.0"?><Chip>'), zeros]), { level: 9 }) },
    { name: `ZIP bomb (rdml_data.xml expanding to ${mib} MiB)`, filename: 'bomb.rdml', bytes: zipWith('rdml_data.xml', Buffer.concat([rdmlHead, zeros])) },
    { name: 'ZIP entry declaring 4 GiB', filename: 'liar.rdml', bytes: zipWith('rdml_data.xml', rdmlHead, 0xffffffff) },
    { name: 'ZIP entry understating its size', filename: 'liar.rdml', bytes: zipWith('rdml_data.xml', Buffer.concat([rdmlHead, zeros.subarray(0, Math.floor(expandTo / 2))]), 10) },
    { name: 'ZIP with a traversal entry name', filename: 'evil.rdml', bytes: zipWith('../../../../etc/passwd', rdmlHead) },
    { name: 'XML entity expansion (billion laughs)', filename: 'laughs.xml', bytes: Buffer.from(`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('')}]><Chip><Name>&lol9;</Name></Chip>`) },
    { name: 'XML external entity', filename: 'xxe.xml', bytes: Buffer.from('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Chip><Name>&xxe;</Name></Chip>') },
    { name: 'XML nested 200,000 deep', filename: 'deep.xml', bytes: Buffer.from(`<?xml version="1.0"?><Chip>${'<a>'.repeat(200_000)}${'</a>'.repeat(200_000)}</Chip>`) },
    { name: 'FCS declaring 2^31 events', filename: 'huge.fcs', bytes: Buffer.from(`FCS3.0    ${'58'.padStart(8)}${'200'.padStart(8)}${'201'.padStart(8)}${'99999999'.padStart(8)}${'0'.padStart(8)}${'0'.padStart(8)}/$TOT/2147483647/$PAR/1/$P1B/32/$DATATYPE/F/$BYTEORD/1,2,3,4/$MODE/L/$P1N/FSC/$P1R/1024/`.padEnd(260, ' ')) },
    { name: 'FCS with a TEXT segment past the end', filename: 'past.fcs', bytes: Buffer.from(`FCS3.1    ${'58'.padStart(8)}${'99999999'.padStart(8)}${'0'.padStart(8)}${'0'.padStart(8)}${'0'.padStart(8)}${'0'.padStart(8)}`) },
    { name: 'NTA summary with 20,000 columns', filename: 'wide.csv', bytes: Buffer.from(`NTA Experiment Summary File\r\nCreated with NTA 3.4 Build 3.4.4\r\n[Results],${Array.from({ length: 20000 }, (_, i) => i).join(',')}\r\n`) },
    { name: 'empty file', filename: 'empty.csv', bytes: Buffer.alloc(0) },
  ];
}
