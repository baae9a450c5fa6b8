// The persisted record form: every way a stored value can be malformed is
// CORRUPT_RECORD naming what is wrong (and the document when it has an id),
// deferred token vectors are checked before they are trusted, and the byte
// helpers accept exactly count × dim rows.
import { describe, expect, it } from 'vitest';
import { decodeRecord, emptyMulti, encodeRecord, multiFromBytes, recordFromData, type StoredRecord } from '../../src/core/record.js';
import { nestMultiVectors } from '../../src/core/nested.js';
import { float32ToFloat16, quantizeRowsInt8 } from '../../src/core/quantize.js';
import type { Encoded, MultiStorage } from '../../src/core/types.js';
import { caught, randomDense, randomMulti, rng } from './helpers.js';

function encoded(seed = 1, rows = 6): Encoded {
  const r = rng(seed);
  return {
    dense: randomDense(r, 8),
    sparse: { ids: Uint32Array.from([2, 5, 9]), weights: Float32Array.from([0.5, 1.5, 0.25]) },
    multi: randomMulti(r, rows, 4),
    tokens: rows,
    truncated: false,
  } as Encoded;
}

const good = (): StoredRecord => encodeRecord({ id: 'a', text: 'alpha' }, encoded());

function corrupt(rec: unknown): { message: string; id: unknown } {
  const e = caught(() => decodeRecord(rec));
  expect(e.code).toBe('CORRUPT_RECORD');
  return { message: e.message, id: e.details?.id };
}

describe('encodeRecord', () => {
  it('refuses an invalid encoding as INVALID_DOCUMENT naming the document', () => {
    const bad = { ...encoded(), dense: Float32Array.from([1, NaN]) };
    const e = caught(() => encodeRecord({ id: 'doc-7', text: 'x' }, bad));
    expect(e.code).toBe('INVALID_DOCUMENT');
    expect(e.message).toMatch(/^document "doc-7": dense/);
    expect(e.details).toEqual({ id: 'doc-7' });
  });

  it('nests the token vectors when the index keeps nested ones, else keeps them all', () => {
    const enc = encoded(3, 9);
    const all = encodeRecord({ id: 'a', text: 'x' }, enc, { multi: 'float32' });
    expect(all.multiCount).toBe(9);
    expect(new Float32Array(all.multi)).toEqual(enc.multi.data);
    const nested = encodeRecord({ id: 'a', text: 'x' }, enc, { multi: 'float32', multiVectors: 'nested', maxMultiVectors: 4 });
    const want = nestMultiVectors(enc.multi, 4);
    expect(nested.multiCount).toBe(want.count);
    expect(want.count).toBeLessThan(9);
    expect(new Float32Array(nested.multi)).toEqual(want.data);
  });
});

describe('decodeRecord refuses', () => {
  it('what is not an object, without an id', () => {
    for (const v of [null, undefined, 5, 'rec']) {
      const { message, id } = corrupt(v);
      expect(message).toBe('stored record is corrupt: not an object');
      expect(id).toBeUndefined();
    }
  });

  it('names the document when it has a string id, and only then', () => {
    const named = corrupt({ ...good(), denseKind: 'bf16' });
    expect(named.message).toBe('stored record "a" is corrupt: unknown denseKind bf16');
    expect(named.id).toBe('a');
    const numeric = corrupt({ ...good(), doc: { id: 7, text: 'x' } });
    expect(numeric.message).toMatch(/^stored record is corrupt: /);
    expect(numeric.id).toBeUndefined();
  });

  it('each malformed field, by name', () => {
    const int8 = encodeRecord({ id: 'a', text: 'x' }, encoded(), { dense: 'int8', multi: 'int8' });
    const cases: [unknown, string][] = [
      [{ ...good(), dense: new ArrayBuffer(6) }, 'dense bytes'],
      [{ ...good(), dense: 'bytes' }, 'dense bytes'],
      [{ ...int8, dense: new ArrayBuffer(0), denseScale: 1 }, 'dense vector is empty'],
      [{ ...int8, dense: 5 }, 'dense bytes'],
      [{ ...int8, denseScale: undefined }, 'missing denseScale'],
      [{ ...int8, denseScale: -1 }, 'dense scale is invalid'],
      [{ ...good(), sparseIds: new ArrayBuffer(5) }, 'sparse id bytes'],
      [{ ...good(), sparseWeights: null }, 'sparse weight bytes'],
      [{ ...good(), multiCount: undefined }, 'missing multiCount/multiDim'],
      [{ ...good(), multiDim: '4' }, 'missing multiCount/multiDim'],
      [{ ...good(), multiKind: 'bf16' }, 'unknown multiKind bf16'],
      [{ ...good(), multi: new ArrayBuffer(3) }, 'multi bytes'],
      [{ ...int8, multi: {} }, 'multi bytes'],
      [{ ...int8, multiScales: undefined }, 'multi scale bytes'],
      [{ ...int8, multiScales: new ArrayBuffer(4) }, 'multi has 6 rows but 1 scales'],
      [{ ...good(), multiCount: 5 }, 'expected count × dim'],
    ];
    for (const [rec, why] of cases) expect(corrupt(rec).message, why).toContain(why);
  });

  it('a float16 record whose rows hold NaN bits', () => {
    const rec = encodeRecord({ id: 'a', text: 'x' }, encoded(), { multi: 'float16' });
    const bits = new Uint16Array(rec.multi.slice(0));
    bits[3] = 0x7e00;
    expect(corrupt({ ...rec, multi: bits.buffer }).message).toContain('NaN or Infinity');
  });
});

describe('decodeRecord with token vectors left in the store', () => {
  const deferred = (over: Record<string, unknown> = {}): unknown => ({
    ...good(),
    multi: new ArrayBuffer(0),
    multiDeferred: { sum: 42 },
    ...over,
  });

  for (const kind of ['float32', 'float16', 'int8'] as MultiStorage[]) {
    it(`${kind}: returns no rows and what the loaded rows must be`, () => {
      const d = decodeRecord(deferred({ multiKind: kind, multiCount: 6, multiDim: 4 }));
      expect(d.deferred).toEqual({ kind, count: 6, dim: 4, sum: 42 });
      expect(d.multi).toEqual(emptyMulti(kind, 4));
      expect(d.multi.kind).toBe(kind);
      expect(d.dense.data.length).toBe(8);
      expect(Array.from(d.sparse.ids)).toEqual([2, 5, 9]);
    });
  }

  it('refuses a missing checksum, missing rows and unknown kinds', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ multiDeferred: {} }, 'deferred token vectors without a checksum'],
      [{ multiDeferred: null }, 'deferred token vectors without a checksum'],
      [{ multiDeferred: { sum: '42' } }, 'deferred token vectors without a checksum'],
      [{ multiCount: 0 }, 'deferred token vectors without rows'],
      [{ multiCount: 1.5 }, 'deferred token vectors without rows'],
      [{ multiDim: 0 }, 'deferred token vectors without rows'],
      [{ multiDim: 2.5 }, 'deferred token vectors without rows'],
      [{ multiKind: 'bf16' }, 'unknown multiKind bf16'],
      [{ dense: new Float32Array([1, NaN]).buffer }, 'dense vector holds NaN or Infinity'],
      [{ sparseIds: Uint32Array.from([9, 5, 2]).buffer }, 'sparse'],
    ];
    for (const [over, why] of cases) expect(corrupt(deferred(over)).message, why).toContain(why);
    // One row of one dimension is enough.
    expect(decodeRecord(deferred({ multiCount: 1, multiDim: 1 })).deferred?.count).toBe(1);
  });
});

describe('record bytes', () => {
  it('emptyMulti gives no rows of the right array type', () => {
    expect(emptyMulti('int8', 3)).toEqual({ kind: 'int8', data: new Int8Array(0), scales: new Float32Array(0), count: 0, dim: 3 });
    expect(emptyMulti('float16', 3)).toEqual({ kind: 'float16', data: new Uint16Array(0), count: 0, dim: 3 });
    expect(emptyMulti('float32', 3)).toEqual({ kind: 'float32', data: new Float32Array(0), count: 0, dim: 3 });
  });

  it('multiFromBytes reads count × dim rows of each kind (int8 scales after the rows) and nothing else', () => {
    const m = randomMulti(rng(4), 3, 4);
    const f32 = new Uint8Array(m.data.buffer.slice(0));
    expect(multiFromBytes('float32', 3, 4, f32)).toEqual({ kind: 'float32', data: m.data, count: 3, dim: 4 });
    expect(multiFromBytes('float32', 3, 4, f32.buffer as ArrayBuffer)).toEqual({ kind: 'float32', data: m.data, count: 3, dim: 4 });
    const half = float32ToFloat16(m.data);
    expect(multiFromBytes('float16', 3, 4, half)).toEqual({ kind: 'float16', data: half, count: 3, dim: 4 });
    const q = quantizeRowsInt8(m.data, 4);
    const packed = new Uint8Array(12 + 12);
    packed.set(new Uint8Array(q.q.buffer), 0);
    packed.set(new Uint8Array(q.scales.buffer), 12);
    expect(multiFromBytes('int8', 3, 4, packed)).toEqual({ kind: 'int8', data: q.q, scales: q.scales, count: 3, dim: 4 });
    // One byte more or less, or the rows of another kind: refused.
    expect(multiFromBytes('int8', 3, 4, packed.subarray(1))).toBeUndefined();
    expect(multiFromBytes('int8', 3, 4, f32)).toBeUndefined();
    expect(multiFromBytes('float16', 3, 4, f32)).toBeUndefined();
    expect(multiFromBytes('float32', 3, 4, half)).toBeUndefined();
    expect(multiFromBytes('float32', 4, 3, f32)).toEqual({ kind: 'float32', data: m.data, count: 4, dim: 3 });
    // Right size, bad values.
    const nan = new Float32Array(12).fill(Number.NaN);
    expect(multiFromBytes('float32', 3, 4, nan)).toBeUndefined();
    const badScale = packed.slice();
    new DataView(badScale.buffer).setFloat32(12, -1, true);
    expect(multiFromBytes('int8', 3, 4, badScale)).toBeUndefined();
  });

  it('bytes at an odd offset are copied into aligned arrays with the same values', () => {
    const rec = good();
    const dense = new Uint8Array(rec.dense);
    const shifted = new Uint8Array(dense.length + 1);
    shifted.set(dense, 1);
    const d = decodeRecord({ ...rec, dense: shifted.subarray(1) });
    expect(d.dense.data).toEqual(new Float32Array(rec.dense));
    // Aligned bytes are viewed, not copied.
    const aligned = new Float32Array(rec.dense.slice(0));
    expect(decodeRecord({ ...rec, dense: aligned }).dense.data.buffer).toBe(aligned.buffer);
  });

  it('recordFromData shares no memory with what it was given', () => {
    const d = decodeRecord(encodeRecord({ id: 'a', text: 'x' }, encoded(), { dense: 'int8', multi: 'int8' }));
    const rec = recordFromData(d);
    expect(rec.denseScale).toBe((d.dense as { scale: number }).scale);
    expect(new Float32Array(rec.multiScales!)).toEqual((d.multi as { scales: Float32Array }).scales);
    (d.multi as { scales: Float32Array }).scales[0] = 99;
    expect(new Float32Array(rec.multiScales!)[0]).not.toBe(99);
    const f = recordFromData(decodeRecord(good()));
    expect(f.denseScale).toBeUndefined();
    expect(f.multiScales).toBeUndefined();
  });
});
