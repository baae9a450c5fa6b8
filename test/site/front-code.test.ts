// Front coding of sorted keys (keyword and vocabulary shards), byte by byte:
// the shared-prefix length, the suffix's UTF-8 length and bytes; a shared part
// never ends inside a surrogate pair; a reader refuses keys out of order.
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from '../../src/core/bytes.js';
import { readFrontCoded, writeFrontCoded } from '../../src/site/front-code.js';

const coded = (prev: string, key: string): number[] => {
  const w = new ByteWriter();
  writeFrontCoded(w, prev, key);
  return [...w.finish()];
};
const utf8 = (s: string): number[] => [...new TextEncoder().encode(s)];

describe('writeFrontCoded', () => {
  it('writes the shared length, the suffix length and the suffix', () => {
    expect(coded('', 'a')).toEqual([0, 1, 0x61]);
    expect(coded('apple', 'apply')).toEqual([4, 1, 0x79]);
    expect(coded('abc', 'abcd')).toEqual([3, 1, 0x64]);
    expect(coded('ab', 'ac')).toEqual([1, 1, 0x63]);
    expect(coded('zeta', 'alpha')).toEqual([0, 5, ...utf8('alpha')]);
  });

  it('never splits a surrogate pair: the pair goes whole into the suffix, at both ends of the high-surrogate range', () => {
    expect(coded('a😀', 'a😁')).toEqual([1, 4, ...utf8('😁')]);
    expect(coded('a\uD800\uDC00', 'a\uD800\uDC01')).toEqual([1, 4, ...utf8('\uD800\uDC01')]);
    expect(coded('a\uDBFF\uDFFE', 'a\uDBFF\uDFFF')).toEqual([1, 4, ...utf8('\uDBFF\uDFFF')]);
    // A low surrogate or a plain character before the cut: nothing to move.
    expect(coded('a\uDC00x', 'a\uDC00y')).toEqual([2, 1, 0x79]);
    // Sharing the whole key: nothing is left to split.
    expect(coded('x\uD83D', 'x\uD83D')).toEqual([2, 0]);
  });
});

describe('readFrontCoded', () => {
  const entries = (...pairs: [number, string][]): ByteReader => {
    const w = new ByteWriter();
    for (const [shared, suffix] of pairs) {
      const b = new TextEncoder().encode(suffix);
      w.varint(shared).varint(b.length).bytes(b);
    }
    return new ByteReader(w.finish());
  };

  it('rebuilds each key from the one before it; the first may be anything, even empty', () => {
    const r = entries([0, ''], [0, 'apple'], [4, 'y'], [5, 's']);
    expect(readFrontCoded(r, '', 0, 'key')).toBe('');
    expect(readFrontCoded(r, '', 1, 'key')).toBe('apple');
    expect(readFrontCoded(r, 'apple', 2, 'key')).toBe('apply');
    expect(readFrontCoded(r, 'apply', 3, 'key')).toBe('applys');
  });

  it('refuses a key equal to or before the previous one, and a shared length past it', () => {
    expect(() => readFrontCoded(entries([5, '']), 'apple', 1, 'key')).toThrow('entry 1 is out of order');
    expect(() => readFrontCoded(entries([0, 'apple']), 'banana', 2, 'key')).toThrow('entry 2 is out of order');
    expect(() => readFrontCoded(entries([6, 'x']), 'apple', 3, 'word')).toThrow('entry 3 shares 6 characters with a 5-character word');
  });
});
