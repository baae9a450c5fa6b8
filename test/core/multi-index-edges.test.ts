// MultiIndex edges the ranking tests do not reach: when the pool is repacked,
// what a repack keeps for each storage kind, conversions between stored
// kinds, the byte count, and the errors for misuse.
import { describe, expect, it } from 'vitest';
import { MultiIndex } from '../../src/core/multi-index.js';
import { float16ToFloat32, float32ToFloat16, quantizeRowsInt8, dequantizeRowsInt8 } from '../../src/core/quantize.js';
import type { MultiStorage, MultiVector } from '../../src/core/types.js';
import { naiveMaxSim, randomMulti, rng } from './helpers.js';

const KINDS: MultiStorage[] = ['float32', 'float16', 'int8'];

function rows(seed: number, count: number, dim = 4): MultiVector {
  return randomMulti(rng(seed), count, dim);
}

describe('MultiIndex repacking', () => {
  it('repacks only once dead rows reach compactMin AND exceed compactRatio of the pool', () => {
    // 4 passages × 2 rows = 8 rows. compactMin 4, ratio 0.5 → needs ≥ 4 dead and > 4 (half of 8).
    const idx = new MultiIndex('float32', 0, { compactMin: 4, compactRatio: 0.5 });
    for (let s = 0; s < 4; s++) idx.set(s, rows(s, 2));
    expect(idx.remove(0)).toBe(true); // 2 dead
    expect(idx.compactions).toBe(0);
    expect(idx.remove(1)).toBe(true); // 4 dead: ≥ compactMin, but 4 is not > 0.5 × 8
    expect(idx.compactions).toBe(0);
    expect(idx.remove(2)).toBe(true); // 6 dead > 4 → repack
    expect(idx.compactions).toBe(1);
    expect(idx.get(3)!.data).toEqual(rows(3, 2).data);
  });

  it('dead rows equal to compactMin are enough when the ratio holds', () => {
    const idx = new MultiIndex('float32', 0, { compactMin: 3, compactRatio: 0.1 });
    idx.set(0, rows(1, 3));
    idx.set(1, rows(2, 3));
    idx.remove(0); // exactly 3 dead, 3 > 0.1 × 6
    expect(idx.compactions).toBe(1);
  });

  it('a low ratio is not enough under compactMin', () => {
    const idx = new MultiIndex('float32', 0, { compactMin: 5, compactRatio: 0.01 });
    idx.set(0, rows(1, 4));
    idx.set(1, rows(2, 4));
    idx.remove(0); // 4 dead < 5
    expect(idx.compactions).toBe(0);
  });

  it('the defaults (ratio 0.25, min 4096) keep a small pool unpacked', () => {
    const idx = new MultiIndex('float32');
    for (let s = 0; s < 10; s++) idx.set(s, rows(s, 3));
    for (let s = 0; s < 9; s++) idx.remove(s);
    expect(idx.compactions).toBe(0);
  });

  it('the default ratio 0.25 applies once compactMin is met', () => {
    const idx = new MultiIndex('float32', 0, { compactMin: 1 });
    for (let s = 0; s < 8; s++) idx.set(s, rows(s, 1));
    idx.remove(0);
    idx.remove(1); // 2 dead = 0.25 × 8: not more
    expect(idx.compactions).toBe(0);
    idx.remove(2); // 3 > 2
    expect(idx.compactions).toBe(1);
  });

  for (const kind of KINDS) {
    it(`${kind}: a repack keeps every live passage's stored rows bit for bit and its scores`, () => {
      const idx = new MultiIndex(kind, 0, { compactMin: 1, compactRatio: 0 });
      const kept = new Map<number, ReturnType<MultiIndex['getData']>>();
      for (let s = 0; s < 6; s++) idx.set(s, rows(10 + s, 2 + (s % 3), 8));
      for (let s = 0; s < 6; s++) kept.set(s, idx.getData(s));
      const q = rows(99, 3, 8);
      const before = [1, 3, 5].map((s) => idx.maxSim(s, q));
      // Remove from the front so every later passage has to move left.
      for (const s of [0, 2, 4]) idx.remove(s);
      expect(idx.compactions).toBe(3);
      for (const s of [1, 3, 5]) expect(idx.getData(s)).toEqual(kept.get(s));
      expect([1, 3, 5].map((s) => idx.maxSim(s, q))).toEqual(before);
      expect(idx.rows).toBe(3 + 2 + 4);
      // New rows go after the packed ones and do not overwrite them.
      idx.set(0, rows(50, 2, 8));
      for (const s of [1, 3, 5]) expect(idx.getData(s)).toEqual(kept.get(s));
    });
  }
});

describe('MultiIndex bookkeeping', () => {
  it('removing an absent slot changes nothing', () => {
    const idx = new MultiIndex('float16');
    idx.set(2, rows(1, 3));
    expect(idx.remove(0)).toBe(false);
    expect(idx.remove(7)).toBe(false);
    expect(idx.remove(-1)).toBe(false);
    expect(idx.size).toBe(1);
    expect(idx.rows).toBe(3);
    expect(idx.remove(2)).toBe(true);
    expect(idx.remove(2)).toBe(false);
    expect(idx.size).toBe(0);
    expect(idx.rows).toBe(0);
  });

  it('count, has and get for present and absent slots', () => {
    const idx = new MultiIndex('float32');
    const m = rows(3, 5);
    idx.set(1, m);
    expect(idx.count(1)).toBe(5);
    expect(idx.count(0)).toBe(0);
    expect(idx.count(40)).toBe(0);
    expect(idx.has(1)).toBe(true);
    expect(idx.has(0)).toBe(false);
    expect(idx.get(0)).toBeUndefined();
    expect(idx.getData(0)).toBeUndefined();
    expect(Number.isNaN(idx.maxSim(0, m))).toBe(true);
    const got = idx.get(1)!;
    expect(got).toEqual({ data: m.data, count: 5, dim: 4 });
    // A copy: writing to it does not change the index.
    got.data[0] = 123;
    expect(idx.get(1)!.data[0]).toBe(m.data[0]);
  });

  it('bytes(): rows × dim × bytes per value, plus a 4-byte scale per int8 row', () => {
    const per = { float32: 4, float16: 2, int8: 1 } as const;
    for (const kind of KINDS) {
      const idx = new MultiIndex(kind);
      idx.set(0, rows(1, 3, 8));
      idx.set(1, rows(2, 5, 8));
      idx.remove(0);
      expect(idx.bytes()).toBe(5 * 8 * per[kind] + (kind === 'int8' ? 5 * 4 : 0));
    }
  });

  it('a passage with no rows is present, scores 0 and does not fix the dimension', () => {
    const idx = new MultiIndex('int8');
    idx.set(0, { data: new Float32Array(0), count: 0, dim: 0 });
    expect(idx.has(0)).toBe(true);
    expect(idx.dim).toBe(0);
    idx.set(1, rows(1, 2, 6));
    expect(idx.dim).toBe(6);
    expect(idx.maxSim(0, rows(2, 2, 6))).toBe(0);
  });

  it('refuses an occupied slot and rows of another dimension, naming them', () => {
    const idx = new MultiIndex('float16');
    idx.set(0, rows(1, 2, 4));
    expect(() => idx.set(0, rows(2, 2, 4))).toThrow(/multi slot 0 is occupied/);
    expect(() => idx.set(1, rows(2, 2, 5))).toThrow(/multi-vectors have 5 dims, index has 4/);
    expect(() => idx.maxSim(0, rows(3, 1, 3))).toThrow(/query multi-vectors have 3 dims, index has 4/);
    // The refused passages left nothing behind.
    expect(idx.size).toBe(1);
    expect(idx.has(1)).toBe(false);
  });
});

describe('MultiIndex stored kinds', () => {
  const m = rows(7, 3, 8);
  const f16 = { kind: 'float16' as const, data: float32ToFloat16(m.data), count: 3, dim: 8 };
  const q8 = quantizeRowsInt8(m.data, 8);
  const i8 = { kind: 'int8' as const, data: q8.q, scales: q8.scales, count: 3, dim: 8 };

  it('a float32 index decodes float16 and int8 rows it is given', () => {
    const a = new MultiIndex('float32');
    a.setData(0, f16);
    a.setData(1, i8);
    expect(a.get(0)!.data).toEqual(float16ToFloat32(f16.data));
    expect(a.get(1)!.data).toEqual(dequantizeRowsInt8(q8.q, q8.scales, 8));
  });

  it('a float16 index stores float32 and int8 rows as halves', () => {
    const a = new MultiIndex('float16');
    a.setData(0, { kind: 'float32', data: m.data, count: 3, dim: 8 });
    a.setData(1, i8);
    expect(a.getData(0)).toEqual(f16);
    expect(a.getData(1)!.data).toEqual(float32ToFloat16(dequantizeRowsInt8(q8.q, q8.scales, 8)));
    // get() decodes them back.
    expect(a.get(0)!.data).toEqual(float16ToFloat32(f16.data));
  });

  it('an int8 index quantizes float32 and float16 rows per row and keeps given int8 rows exactly', () => {
    const a = new MultiIndex('int8');
    a.setData(0, { kind: 'float32', data: m.data, count: 3, dim: 8 });
    a.setData(1, f16);
    a.setData(2, i8);
    expect(a.getData(0)).toEqual(i8);
    const fromHalf = quantizeRowsInt8(float16ToFloat32(f16.data), 8);
    expect(a.getData(1)).toEqual({ kind: 'int8', data: fromHalf.q, scales: fromHalf.scales, count: 3, dim: 8 });
    expect(a.getData(2)).toEqual(i8);
    expect(a.get(2)!.data).toEqual(dequantizeRowsInt8(q8.q, q8.scales, 8));
  });

  it('int8 scores use each row scale: the score equals MaxSim over the dequantized rows', () => {
    const a = new MultiIndex('int8');
    a.setData(0, i8);
    const q = rows(8, 2, 8);
    expect(a.maxSim(0, q)).toBeCloseTo(naiveMaxSim(q, { data: dequantizeRowsInt8(q8.q, q8.scales, 8), count: 3, dim: 8 }), 5);
  });
});
