// prepareQuery at its edges: absent parts, malformed parts (with their
// messages), dimension mismatches, and sparse canonicalization by hand.
import { describe, expect, it } from 'vitest';
import { prepareQuery } from '../../src/core/query.js';
import type { Encoded } from '../../src/core/types.js';

const DIMS = { dense: 2, multi: 2 };
const F = Float32Array;
function err(q: unknown, dims = DIMS): { code?: string; message: string; details?: unknown } {
  try {
    prepareQuery(q as Encoded, dims);
  } catch (e) {
    return e as { code?: string; message: string; details?: unknown };
  }
  throw new Error('expected a throw');
}
const sparse = (ids: number[], w: number[]) => ({ ids: Uint32Array.from(ids), weights: F.from(w) });

describe('prepareQuery', () => {
  it('keeps well-formed parts as they are (no copy)', () => {
    const q = { dense: F.of(0, 1), sparse: sparse([1, 4], [0.5, 2]), multi: { data: F.of(1, 0), count: 1, dim: 2 } };
    const p = prepareQuery(q as unknown as Encoded, DIMS);
    expect(p.dense).toBe(q.dense);
    expect(p.sparse!.ids).toBe(q.sparse.ids);
    expect(p.sparse!.weights).toBe(q.sparse.weights);
    expect(p.multi).toEqual({ data: q.multi.data, count: 1, dim: 2 });
  });

  it('absent parts: missing, empty or all zero', () => {
    expect(prepareQuery({} as Encoded, DIMS)).toEqual({});
    expect(prepareQuery({ dense: new F(0), sparse: sparse([], []), multi: { data: new F(0), count: 0, dim: 2 } } as unknown as Encoded, DIMS)).toEqual({});
    expect(prepareQuery({ dense: F.of(0, 0), multi: { data: F.of(0, 0), count: 1, dim: 2 } } as unknown as Encoded, DIMS)).toEqual({});
    // Zero dense of another size is simply absent, not a mismatch.
    expect(prepareQuery({ dense: F.of(0, 0, 0) } as unknown as Encoded, DIMS)).toEqual({});
    // Token vectors are absent when the index has none (multi dim 0), whatever their size.
    expect(prepareQuery({ multi: { data: F.of(1, 0, 0), count: 1, dim: 3 } } as unknown as Encoded, { dense: 2, multi: 0 })).toEqual({});
    // A sparse vector whose weights cancel out is absent.
    expect(prepareQuery({ sparse: sparse([3, 3], [1, -1]) } as unknown as Encoded, DIMS)).toEqual({});
  });

  it('malformed parts are INVALID_OPTION with a message', () => {
    const cases: [unknown, string][] = [
      [null, 'query: expected an encoded query object'],
      ['q', 'query: expected an encoded query object'],
      [{ dense: [1, 0] }, 'query: dense must be a Float32Array'],
      [{ dense: F.of(1, NaN) }, 'query: dense holds NaN or Infinity'],
      [{ sparse: null }, 'query: sparse must be { ids, weights }'],
      [{ sparse: 'x' }, 'query: sparse must be { ids, weights }'],
      [{ sparse: { ids: [1], weights: F.of(1) } }, 'query: sparse.ids must be a Uint32Array and sparse.weights a Float32Array'],
      [{ sparse: { ids: Uint32Array.of(1), weights: [1] } }, 'query: sparse.ids must be a Uint32Array and sparse.weights a Float32Array'],
      [{ sparse: sparse([1, 2], [1]) }, 'query: sparse has 2 ids but 1 weights'],
      [{ sparse: sparse([1], [Infinity]) }, 'query: sparse weights hold NaN or Infinity'],
      [{ multi: null }, 'query: multi must be { data, count, dim }'],
      [{ multi: 3 }, 'query: multi must be { data, count, dim }'],
      [{ multi: { data: [1, 0], count: 1, dim: 2 } }, 'query: multi.data must be a Float32Array'],
      [{ multi: { data: F.of(1, 0), count: 1.5, dim: 2 } }, 'query: multi.count/dim must be non-negative integers'],
      [{ multi: { data: F.of(1, 0), count: 1, dim: '2' } }, 'query: multi.count/dim must be non-negative integers'],
      [{ multi: { data: new F(0), count: -1, dim: 0 } }, 'query: multi.count/dim must be non-negative integers'],
      [{ multi: { data: new F(0), count: 0, dim: -2 } }, 'query: multi.count/dim must be non-negative integers'],
      [{ multi: { data: F.of(1, 0, 1), count: 2, dim: 2 } }, 'query: multi.data has 3 values, expected 4'],
      [{ multi: { data: F.of(1, NaN), count: 1, dim: 2 } }, 'query: multi holds NaN or Infinity'],
    ];
    for (const [q, message] of cases) expect(err(q), message).toMatchObject({ code: 'INVALID_OPTION', message });
  });

  it('a dimension of another model is MODEL_MISMATCH with what, got and want', () => {
    expect(err({ dense: F.of(1, 0, 0) })).toMatchObject({
      code: 'MODEL_MISMATCH',
      message: 'query dense vector has 3 dims but the index holds 2; was it encoded by a different model?',
      details: { what: 'dense vector', got: 3, want: 2 },
    });
    expect(err({ multi: { data: F.of(1, 0, 0), count: 1, dim: 3 } })).toMatchObject({
      code: 'MODEL_MISMATCH',
      message: 'query multi-vectors has 3 dims but the index holds 2; was it encoded by a different model?',
      details: { what: 'multi-vectors', got: 3, want: 2 },
    });
  });

  it('sparse: unsorted, repeated or zero-weight ids become sorted, unique and nonzero (repeats summed)', () => {
    const plain = (s: { ids: Uint32Array; weights: Float32Array }) => [[...s.ids], [...s.weights]];
    const q = (ids: number[], w: number[]) => prepareQuery({ sparse: sparse(ids, w) } as unknown as Encoded, DIMS).sparse!;
    expect(plain(q([9, 2, 100, 20], [1, 2, 3, 4]))).toEqual([[2, 9, 20, 100], [2, 1, 4, 3]]); // numeric order, not text
    expect(plain(q([5, 5, 1], [0.5, 0.25, 1]))).toEqual([[1, 5], [1, 0.75]]);
    expect(plain(q([1, 2, 3], [1, 0, 2]))).toEqual([[1, 3], [1, 2]]);
    expect(plain(q([0, 1], [0, 3]))).toEqual([[1], [3]]);
    expect(plain(q([4, 7, 7], [1, 1, -1]))).toEqual([[4], [1]]);
    // Already canonical: the same arrays come back.
    const s = sparse([1, 2], [1, 1]);
    expect(prepareQuery({ sparse: s } as unknown as Encoded, DIMS).sparse!.ids).toBe(s.ids);
  });
});
