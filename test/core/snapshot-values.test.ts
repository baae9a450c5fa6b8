// Snapshots whose checksum is right but whose values are not: written by a
// buggy or hostile writer rather than garbled on the way. decodeSnapshot must
// apply the value checks a stored record gets (src/core/record.ts), or a
// float16 Inf row ranks first for every query.
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/core/checksum.js';
import { isM3SearchError } from '../../src/core/errors.js';
import { SearchIndex } from '../../src/core/search-index.js';
import { decodeSnapshot, encodeSnapshot } from '../../src/core/snapshot.js';
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

/** Recomputes a snapshot's CRC after a test changed its fixed header or bytes. */
function recrc(out: Uint8Array): Uint8Array {
  new DataView(out.buffer, out.byteOffset).setUint32(12, crc32(out.subarray(24), crc32(out.subarray(4, 12))), true);
  return out;
}

function decodeRejected(input: unknown): string {
  try {
    decodeSnapshot(input as Uint8Array);
  } catch (e) {
    if (isM3SearchError(e, 'INVALID_INDEX')) return e.message.replace('not a valid m3search index snapshot: ', '');
    throw e;
  }
  throw new Error('the snapshot loaded');
}

describe('snapshot framing', () => {
  const { bytes } = snapshot({ dense: 'float32', multi: 'float16' });

  it('loads from a Uint8Array or an ArrayBuffer, and gives its dims and options', () => {
    const a = decodeSnapshot(bytes);
    const b = decodeSnapshot(bytes.slice().buffer);
    expect(a.dims).toEqual({ dense: 32, multi: 16 });
    expect(a.options.dense).toBe('float32');
    expect(a.options.multi).toBe('float16');
    expect(b.records.map((r) => r.doc.id)).toEqual(a.records.map((r) => r.doc.id));
    expect(a.records).toHaveLength(12);
  });

  it('refuses what is not bytes, short input, wrong magic and another version', () => {
    expect(decodeRejected('M3SI')).toBe('expected a Uint8Array');
    expect(decodeRejected(bytes.subarray(0, 23))).toBe('only 23 bytes (truncated)');
    expect(decodeRejected(new Uint8Array(24))).toBe('bad magic bytes');
    const magic = bytes.slice();
    magic[3] = 0x58;
    expect(decodeRejected(magic)).toBe('bad magic bytes');
    const v2 = bytes.slice();
    new DataView(v2.buffer).setUint32(4, 2, true);
    expect(decodeRejected(recrc(v2))).toBe('unsupported format version 2 (this build reads 1)');
  });

  it('tells a truncated snapshot from one with bytes added', () => {
    expect(decodeRejected(bytes.subarray(0, bytes.length - 8))).toBe(`truncated (${bytes.length - 8} of ${bytes.length} bytes)`);
    const longer = new Uint8Array(bytes.length + 8);
    longer.set(bytes);
    expect(decodeRejected(longer)).toBe('length mismatch');
    const flipped = bytes.slice();
    flipped[bytes.length - 1]! ^= 1;
    expect(decodeRejected(flipped)).toBe('checksum mismatch (garbled bytes)');
  });

  it('a header length past the end, or a header that is not a JSON object', () => {
    const past = bytes.slice();
    new DataView(past.buffer).setUint32(8, bytes.length - 24 + 1, true);
    expect(decodeRejected(recrc(past))).toBe('header length out of range');
    // Exactly to the end is in range, but then the binary area is read as JSON.
    const whole = bytes.slice();
    new DataView(whole.buffer).setUint32(8, bytes.length - 24, true);
    expect(decodeRejected(recrc(whole))).toBe('unreadable header');
    const badUtf8 = bytes.slice();
    badUtf8[25] = 0xff;
    expect(decodeRejected(recrc(badUtf8))).toBe('unreadable header');
    expect(decodeRejected(rewrite(bytes, (p) => ((p as { header: unknown }).header = null)))).toBe('header is not an object');
    expect(decodeRejected(rewrite(bytes, (p) => (p.header.options = { dense: 'bf16' })))).toBe('bad storage options');
  });

  it('every count must be a whole number ≥ 0', () => {
    for (const field of ['count', 'denseDim', 'multiDim', 'nnz', 'rows']) {
      for (const v of [-1, 1.5, '3', null]) expect(decodeRejected(rewrite(bytes, (p) => (p.header[field] = v))), `${field} ${String(v)}`).toBe('bad counts');
    }
  });

  it('the document list, the section table and each section are checked', () => {
    const cut = (edit: (p: Parts) => void): string => decodeRejected(rewrite(bytes, edit));
    expect(cut((p) => (p.header.docs = (p.header.docs as unknown[]).slice(1)))).toBe('document list does not match the count');
    expect(cut((p) => (p.header.docs = {}))).toBe('document list does not match the count');
    expect(cut((p) => ((p.header as { sections: unknown }).sections = null))).toBe('missing section table');
    expect(cut((p) => ((p.header.sections as Record<string, unknown>).ids = [0]))).toBe('section ids is malformed');
    expect(cut((p) => ((p.header.sections as Record<string, unknown>).ids = 'x'))).toBe('section ids is malformed');
    const [idsOff, idsLen] = (() => {
      const dv = new DataView(bytes.buffer, bytes.byteOffset);
      const h = JSON.parse(new TextDecoder().decode(bytes.subarray(24, 24 + dv.getUint32(8, true)))) as Parts['header'];
      return h.sections['ids']!;
    })();
    for (const s of [[idsOff + 4, idsLen], [-8, idsLen], [idsOff, -4], [idsOff + 0.5, idsLen], [String(idsOff), idsLen]]) {
      expect(cut((p) => ((p.header.sections as Record<string, unknown>).ids = s)), JSON.stringify(s)).toBe('section ids has a bad offset or length');
    }
    expect(cut((p) => (p.header.sections['ids'] = [p.bin.length, 8]))).toBe('section ids out of range');
    // An empty section may sit at the very end.
    expect(decodeSnapshot(rewrite(bytes, (p) => (p.header.sections['denseI8'] = [p.bin.length, 0]))).records).toHaveLength(12);
    expect(cut((p) => delete p.header.sections['counts'])).toBe('missing section counts');
    expect(cut((p) => (p.header.sections['counts'] = [p.header.sections['counts']![0], 40]))).toBe('section counts has the wrong size');
    expect(cut((p) => ((p.header.docs as { id: string }[])[2] = { id: '' } as never))).toMatch(/^document #2: /);
  });

  it('sections in any order in the table load; only real overlaps are refused', () => {
    // Swap where ids and weights (the same length) live: the table's order no longer follows the offsets.
    const swapped = rewrite(bytes, (p) => {
      const ids = p.header.sections['ids']!;
      const weights = p.header.sections['weights']!;
      const idsBytes = p.bin.slice(ids[0], ids[0] + ids[1]);
      const weightBytes = p.bin.slice(weights[0], weights[0] + weights[1]);
      p.bin.set(weightBytes, ids[0]);
      p.bin.set(idsBytes, weights[0]);
      p.header.sections['ids'] = [weights[0], weights[1]];
      p.header.sections['weights'] = [ids[0], ids[1]];
    });
    const a = decodeSnapshot(bytes);
    const b = decodeSnapshot(swapped);
    expect(b.records.map((r) => [Array.from(r.sparse.ids), Array.from(r.sparse.weights)])).toEqual(
      a.records.map((r) => [Array.from(r.sparse.ids), Array.from(r.sparse.weights)]),
    );
  });

  it('per-document counts must add up to the section sizes, both ways', () => {
    const bump = (name: 'nnz' | 'counts', by: number) =>
      rewrite(bytes, (p) => {
        const a = sectionOf(p, name, Uint32Array, 4);
        a[a.length - 1]! += by;
      });
    expect(decodeRejected(bump('nnz', 1))).toBe('postings or rows overrun their sections');
    expect(decodeRejected(bump('counts', 1))).toBe('postings or rows overrun their sections');
    expect(decodeRejected(bump('nnz', -1))).toBe('section sizes do not add up');
    expect(decodeRejected(bump('counts', -1))).toBe('section sizes do not add up');
  });
});

describe('encodeSnapshot refuses records of another shape', () => {
  it('names the record whose dense or multi dims differ; a record without rows may have any dim', () => {
    const { bytes } = snapshot({ dense: 'float32', multi: 'float32' });
    const s = decodeSnapshot(bytes);
    const recs = s.records.slice(0, 2);
    expect(() => encodeSnapshot(s.options, { dense: 31, multi: 16 }, recs)).toThrow(`record ${recs[0]!.doc.id}: dense dims 32 ≠ 31`);
    expect(() => encodeSnapshot(s.options, { dense: 32, multi: 15 }, recs)).toThrow(`record ${recs[0]!.doc.id}: multi dims 16 ≠ 15`);
    const noRows = { ...recs[1]!, multi: { kind: 'float32' as const, data: new Float32Array(0), count: 0, dim: 3 } };
    const back = decodeSnapshot(encodeSnapshot(s.options, { dense: 32, multi: 16 }, [recs[0]!, noRows]));
    expect(back.records[1]!.multi.count).toBe(0);
    expect(back.records[0]!.multi.data).toEqual(recs[0]!.multi.data);
  });
});
