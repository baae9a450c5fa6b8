// CRC-32 (slicing-by-8) against the standard check value and a bytewise reference.
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/core/checksum.js';
import { rng } from './helpers.js';

/** The textbook bytewise CRC-32: the reference. */
function bytewise(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32', () => {
  it('gives the standard check value of "123456789"', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('matches the bytewise reference for every length mod 8 and when continued in pieces', () => {
    const r = rng(31);
    for (const n of [1, 7, 8, 9, 15, 16, 17, 1000, 4099]) {
      const bytes = Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
      expect(crc32(bytes)).toBe(bytewise(bytes));
      const cut = Math.floor(n / 3);
      expect(crc32(bytes.subarray(cut), crc32(bytes.subarray(0, cut)))).toBe(bytewise(bytes));
    }
  });
});
