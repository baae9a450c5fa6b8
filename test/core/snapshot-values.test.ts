// Snapshots whose checksum is right but whose values are not: written by a
// buggy or hostile writer rather than garbled on the way. decodeSnapshot must
// apply the value checks a stored record gets (src/core/record.ts), or a
// float16 Inf row ranks first for every query.
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/core/checksum.js';
import { isM3SearchError } from '../../src/core/errors.js';
import { SearchIndex } from '../../src/core/search-index.js';
import type { IndexOptions } from '../../src/core/types.js';
import { corpus } from './helpers.js';

const align8 = (n: number): number => (n + 7) & ~7;

interface Parts {
  header: { sections: Record<string, [number, number]>; [k: string]: unknown };
  bin: Uint8Array;
}

/** Splits a snapshot into its header JSON and binary area, lets `edit` change either, and writes it back with a valid length and CRC. */
function rewrite(bytes: Uint8Array, edit: (p: Parts) => void): Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLen = dv.getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(24, 24 + jsonLen))) as Parts['header'];
  const parts: Parts = { header, bin: bytes.slice(align8(24 + jsonLen)) };
  edit(parts);
  const json = new TextEncoder().encode(JSON.stringify(parts.header));
  const binStart = align8(24 + json.length);
  const out = new Uint8Array(binStart + parts.bin.length);
  out.set(bytes.subarray(0, 8));
  out.set(json, 24);
  out.set(parts.bin, binStart);
  const w = new DataView(out.buffer);
  w.setUint32(8, json.length, true);
  w.setFloat64(16, out.length, true);
  w.setUint32(12, crc32(out.subarray(24), crc32(out.subarray(4, 12))), true);
  return out;
}

function snapshot(opts: IndexOptions) {
  const { docs, encs } = corpus(5, 12);
  const index = new SearchIndex(opts);
  docs.forEach((d, i) => index.add(d, encs[i]!));
  return { bytes: index.serialize(), encs };
}

/** A typed view of one section of the binary area. */
function sectionOf<T>(p: Parts, name: string, ctor: new (b: ArrayBuffer, off: number, len: number) => T, bpe: number): T {
  const [off, len] = p.header.sections[name]!;
  return new ctor(p.bin.buffer as ArrayBuffer, p.bin.byteOffset + off, len / bpe);
}

function rejected(bytes: Uint8Array): string {
  try {
    SearchIndex.deserialize(bytes);
  } catch (e) {
    if (isM3SearchError(e, 'INVALID_INDEX')) return e.message;
    throw e;
  }
  throw new Error('the snapshot loaded');
}

describe('snapshot values that pass the checksum', () => {
  it('the rewrite helper itself produces a snapshot that loads', () => {
    const { bytes } = snapshot({ dense: 'float32', multi: 'float16' });
    expect(SearchIndex.deserialize(rewrite(bytes, () => undefined)).size).toBe(12);
  });

  it('NaN or Infinity in a float32 dense vector → INVALID_INDEX', () => {
    const { bytes } = snapshot({ dense: 'float32', multi: 'float32' });
    expect(rejected(rewrite(bytes, (p) => (sectionOf(p, 'denseF32', Float32Array, 4)[3] = NaN)))).toMatch(/dense vector holds NaN or Infinity/);
    expect(rejected(rewrite(bytes, (p) => (sectionOf(p, 'multiF32', Float32Array, 4)[5] = Infinity)))).toMatch(/NaN or Infinity/);
  });

  it('a float16 Inf multi-vector row (which would rank first) → INVALID_INDEX', () => {
    const { bytes } = snapshot({ dense: 'float32', multi: 'float16' });
    expect(rejected(rewrite(bytes, (p) => (sectionOf(p, 'multiF16', Uint16Array, 2)[0] = 0x7c00)))).toMatch(/multi-vectors hold NaN or Infinity/);
  });

  it('unsorted sparse ids, and NaN sparse weights → INVALID_INDEX', () => {
    const { bytes } = snapshot({ dense: 'float32', multi: 'float32' });
    const swapped = rewrite(bytes, (p) => {
      const ids = sectionOf(p, 'ids', Uint32Array, 4);
      [ids[0], ids[1]] = [ids[1]!, ids[0]!];
    });
    expect(rejected(swapped)).toMatch(/sorted ascending/);
    expect(rejected(rewrite(bytes, (p) => (sectionOf(p, 'weights', Float32Array, 4)[2] = NaN)))).toMatch(/sparse weights hold NaN/);
  });

  it('a negative int8 scale (dense or multi row) → INVALID_INDEX', () => {
    const { bytes } = snapshot({ dense: 'int8', multi: 'int8' });
    expect(rejected(rewrite(bytes, (p) => (sectionOf(p, 'denseScales', Float32Array, 4)[1] = -0.5)))).toMatch(/dense scale is invalid/);
    expect(rejected(rewrite(bytes, (p) => (sectionOf(p, 'multiScales', Float32Array, 4)[1] = -0.5)))).toMatch(/multi row scale is invalid/);
  });

  it('overlapping sections (one array aliasing another) → INVALID_INDEX', () => {
    const { bytes } = snapshot({ dense: 'float32', multi: 'float32' });
    // weights and ids have the same length: pointing weights at the ids' bytes still passes every size check.
    const aliased = rewrite(bytes, (p) => {
      const ids = p.header.sections['ids']!;
      p.header.sections['weights'] = [ids[0], ids[1]];
    });
    expect(rejected(aliased)).toMatch(/overlap/);
  });
});
