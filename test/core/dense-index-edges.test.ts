// DenseIndex (src/core/dense-index.ts) edges, with small vectors whose values
// and dot products are worked by hand: each stored kind going into each index
// kind, addBlock's runs and its row-by-row fallback, slots reused after a
// removal, the scan across chunk boundaries, and the errors' messages
// (mutation testing, issue #18: its own tests did not exist; the surfaces'
// suites left 49 mutants alive and 26 unrun).
import { describe, expect, it } from 'vitest';
import { DenseIndex } from '../../src/core/dense-index.js';
import { SCAN_ROWS } from '../../src/core/dense-matrix.js';

const f32 = (...v: number[]): Float32Array => Float32Array.from(v);
const i8 = (...v: number[]): Int8Array => Int8Array.from(v);

function rangeError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RangeError);
    return (e as Error).message;
  }
  throw new Error('did not throw');
}

describe('DenseIndex.addData: each stored kind into each index kind', () => {
  it('float32 index: float32 rows copied bit for bit, int8 rows dequantized as q × scale', () => {
    const idx = new DenseIndex('float32');
    const a = idx.addData({ kind: 'float32', data: f32(0.1, -0.2, 0.3) });
    const b = idx.addData({ kind: 'int8', data: i8(2, -4, 127), scale: 0.5 });
    expect([a, b]).toEqual([0, 1]);
    expect(idx.getData(a)).toEqual({ kind: 'float32', data: f32(0.1, -0.2, 0.3) });
    expect(idx.getData(b)).toEqual({ kind: 'float32', data: f32(1, -2, 63.5) });
    expect(idx.get(b)).toEqual(f32(1, -2, 63.5));
  });

  it('int8 index: int8 rows kept with their scale, float32 rows quantized (scale maxabs/127)', () => {
    const idx = new DenseIndex('int8');
    const a = idx.addData({ kind: 'int8', data: i8(2, -4, 127), scale: 0.5 });
    const b = idx.add(f32(0, 12.7, -127));
    expect(idx.getData(a)).toEqual({ kind: 'int8', data: i8(2, -4, 127), scale: 0.5 });
    expect(idx.getData(b)).toEqual({ kind: 'int8', data: i8(0, 13, -127), scale: 1 });
    // get() dequantizes each value as q × scale.
    expect(idx.get(a)).toEqual(f32(1, -2, 63.5));
    // score() applies the row's scale to the dot product: (2·1 − 4·1 + 127·0)·0.5.
    expect(idx.score(a, f32(1, 1, 0))).toBe(-1);
  });

  it('the first vector fixes the dimension; another size, or 0, is a RangeError saying both', () => {
    const idx = new DenseIndex();
    expect(rangeError(() => idx.add(f32()))).toBe('dense vector has 0 dims, index has 0');
    idx.add(f32(1, 0, 0, 0));
    expect(idx.dim).toBe(4);
    expect(rangeError(() => idx.add(f32(1, 0, 0)))).toBe('dense vector has 3 dims, index has 4');
    expect(rangeError(() => idx.search(f32(1, 0), 1))).toBe('query has 2 dims, index has 4');
    expect(rangeError(() => idx.score(0, f32(1, 0)))).toBe('query has 2 dims, index has 4');
  });
});

describe('DenseIndex.addBlock', () => {
  // Five 2-dim rows; row i is (i, −i) in float32, and (i, −i) with scale i + 1 in int8.
  const fBlock = { kind: 'float32' as const, data: f32(0, 0, 1, -1, 2, -2, 3, -3, 4, -4) };
  const qBlock = { kind: 'int8' as const, data: i8(0, 0, 1, -1, 2, -2, 3, -3, 4, -4), scales: f32(1, 2, 3, 4, 5) };

  it('takes any rows in any order, consecutive or not, onto new slots in that order', () => {
    for (const rows of [[0, 1, 2, 3, 4], [4, 2, 3, 0], [1, 2, 4], [3]]) {
      const idx = new DenseIndex('float32');
      idx.add(f32(9, 9));
      expect(idx.addBlock(fBlock, 2, rows)).toEqual(rows.map((_, j) => j + 1));
      rows.forEach((r, j) => expect(idx.get(j + 1)).toEqual(f32(r, 0 - r)));
      expect(idx.get(0)).toEqual(f32(9, 9));
      expect(idx.size).toBe(rows.length + 1);
      expect([...idx.slots()]).toEqual([...Array(rows.length + 1).keys()]);
    }
  });

  it('int8 rows into an int8 index keep their own scales', () => {
    const idx = new DenseIndex('int8');
    expect(idx.addBlock(qBlock, 2, [4, 1, 2])).toEqual([0, 1, 2]);
    expect(idx.getData(0)).toEqual({ kind: 'int8', data: i8(4, -4), scale: 5 });
    expect(idx.getData(1)).toEqual({ kind: 'int8', data: i8(1, -1), scale: 2 });
    expect(idx.getData(2)).toEqual({ kind: 'int8', data: i8(2, -2), scale: 3 });
  });

  it('a block of the other kind goes row by row (int8 → float32: q × scale)', () => {
    const idx = new DenseIndex('float32');
    expect(idx.addBlock(qBlock, 2, [3, 1])).toEqual([0, 1]);
    expect(idx.get(0)).toEqual(f32(12, -12));
    expect(idx.get(1)).toEqual(f32(2, -2));
    const q = new DenseIndex('int8');
    q.addBlock(fBlock, 2, [4]);
    expect(q.getData(0)).toEqual({ kind: 'int8', data: i8(127, -127), scale: Math.fround(4 / 127) });
  });

  it('free slots are reused first: rows go through addData, the latest freed slot first', () => {
    const idx = new DenseIndex('float32');
    idx.addBlock(fBlock, 2, [0, 1, 2, 3]);
    idx.remove(1);
    idx.remove(2);
    expect(idx.addBlock(fBlock, 2, [4, 0, 3])).toEqual([2, 1, 4]);
    expect(idx.get(2)).toEqual(f32(4, -4));
    expect(idx.get(1)).toEqual(f32(0, 0));
    expect(idx.get(4)).toEqual(f32(3, -3));
    expect(idx.slotLimit).toBe(5);
  });

  it('sets the dimension of an empty index, and refuses another size or 0', () => {
    const idx = new DenseIndex('float32');
    expect(rangeError(() => idx.addBlock(fBlock, 0, []))).toBe('dense vector has 0 dims, index has 0');
    idx.addBlock(fBlock, 2, [1]);
    expect(idx.dim).toBe(2);
    expect(rangeError(() => idx.addBlock({ kind: 'float32', data: f32(1, 2, 3) }, 3, [0]))).toBe('dense vector has 3 dims, index has 2');
  });
});

describe('DenseIndex reads and scans', () => {
  it('a removed slot reads as nothing: getData/get undefined, score NaN, absent from search and slots', () => {
    const idx = new DenseIndex('float32');
    idx.add(f32(1, 0));
    idx.add(f32(0, 1));
    expect(idx.remove(0)).toBe(true);
    expect(idx.remove(0)).toBe(false);
    expect(idx.remove(7)).toBe(false);
    expect(idx.getData(0)).toBeUndefined();
    expect(idx.get(0)).toBeUndefined();
    expect(idx.score(0, f32(1, 0))).toBeNaN();
    expect(idx.search(f32(1, 0), 5)).toEqual([{ slot: 1, score: 0 }]);
    expect([...idx.slots()]).toEqual([1]);
    expect(idx.isLive(1)).toBe(true);
    expect(idx.isLive(2)).toBe(false);
    expect(idx.isLive(-1)).toBe(false);
  });

  it('an index with a dimension but no rows answers an empty list', () => {
    expect(new DenseIndex('float32', 3).search(f32(1, 0, 0), 5)).toEqual([]);
  });

  it(`scans past one chunk of ${SCAN_ROWS} rows: the best row in the last chunk, int8 scores scaled, accept and order applied`, () => {
    for (const kind of ['float32', 'int8'] as const) {
      const idx = new DenseIndex(kind);
      const n = SCAN_ROWS + 3;
      for (let i = 0; i < n; i++) idx.add(f32(i === n - 2 ? 1 : 0.25, 0));
      const top = idx.search(f32(1, 0), 2);
      expect(top[0]).toEqual({ slot: n - 2, score: expect.closeTo(1, 6) });
      // Ties among the 0.25 rows: the smallest slot, or the caller's order.
      expect(top[1]).toEqual({ slot: 0, score: expect.closeTo(0.25, 2) });
      expect(idx.search(f32(1, 0), 1, { order: (s) => -s })[0]!.slot).toBe(n - 2);
      expect(idx.search(f32(1, 0), 1, { order: (s) => -s, accept: (s) => s !== n - 2 })[0]!.slot).toBe(n - 1);
      expect(idx.search(f32(1, 0), 3, { accept: (s) => s < SCAN_ROWS }).map((h) => h.slot)).toEqual([0, 1, 2]);
    }
  });

  it('bytes(): 4 per value for float32, 1 per value + a 4-byte scale for int8, live rows only', () => {
    const f = new DenseIndex('float32');
    const q = new DenseIndex('int8');
    for (const idx of [f, q]) for (let i = 0; i < 3; i++) idx.add(f32(1, 2, 3, 4, 5));
    f.remove(1);
    q.remove(1);
    expect(f.bytes()).toBe(2 * 5 * 4);
    expect(q.bytes()).toBe(2 * (5 + 4));
  });
});
