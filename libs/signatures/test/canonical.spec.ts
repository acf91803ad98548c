import { canonicalJson, recordHash, sha256Hex } from '../src/canonical.js';

describe('canonicalJson', () => {
  it('sorts keys at every level and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
  });

  it('gives the same text whatever the key order, including integer-like keys', () => {
    expect(canonicalJson({ b: 1, 10: 'ten', 9: 'nine' })).toBe('{"10":"ten","9":"nine","b":1}');
    expect(recordHash({ x: 1, y: [1, 2] })).toBe(recordHash({ y: [1, 2], x: 1 }));
    expect(recordHash({ y: [1, 2] })).not.toBe(recordHash({ y: [2, 1] }));
  });

  it('follows JSON for dates, undefined and escapes', () => {
    expect(canonicalJson({ at: new Date('2026-01-02T03:04:05.678Z'), gone: undefined, list: [undefined], text: 'a"b\n' })).toBe('{"at":"2026-01-02T03:04:05.678Z","list":[null],"text":"a\\"b\\n"}');
  });

  it('refuses values with no faithful JSON form', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/cycle/);
  });

  it('hashes UTF-8 with SHA-256 in lower-case hex', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('é')).toBe(sha256Hex('\u00e9'));
  });
});
