// SearchIndex.addBlock's checks, one at a time, on a three-document block
// written out by hand: each damaged row is left out with its own reason (and
// only that row), each damaged column fails every row with the group's reason,
// and a clean block's rows land with their vectors. The robustness suite
// damages IndexedDB packs at random in a browser store; these pin every check
// to the row and message it names (mutation testing, issue #18).
import { describe, expect, it } from 'vitest';
import type { StoredBlock } from '../../src/core/record.js';
import { SearchIndex } from '../../src/core/search-index.js';
import type { Encoded } from '../../src/core/types.js';

/** a: dense (1, 0), sparse {1: 0.5, 4: 1}, no token vectors; b: (0, 1), {2: 2}, one deferred row; c: (1, 1), {0: 1, 9: 1}. */
function block(): StoredBlock {
  return {
    docs: [
      { id: 'a', text: 'A' },
      { id: 'b', text: 'B' },
      { id: 'c', text: 'C' },
    ],
    dim: 2,
    dense: { kind: 'float32', data: Float32Array.from([1, 0, 0, 1, 1, 1]) },
    sparseEnds: Uint32Array.from([2, 3, 5]),
    sparseIds: Uint32Array.from([1, 4, 2, 0, 9]),
    sparseWeights: Float32Array.from([0.5, 1, 2, 1, 1]),
    multiKind: 'float32',
    multiDim: 2,
    multiCounts: Uint32Array.from([0, 1, 0]),
    multiSums: Uint32Array.from([0, 7, 0]),
  };
}

function int8Block(): StoredBlock {
  return { ...block(), dense: { kind: 'int8', data: Int8Array.from([127, 0, 0, 127, 127, 127]), scales: Float32Array.from([0.5, 0, 2]) } };
}

/** Rows refused, with their reasons; and the ids the index then holds. */
function add(b: StoredBlock, index = new SearchIndex(), only?: number[]): { problems: [number, string][]; ids: string[] } {
  const problems = index.addBlock(b, only).map((p): [number, string] => [p.row, p.reason]);
  return { problems, ids: [...index.ids()].sort() };
}

function encoded(dim: number, mdim: number): Encoded {
  return {
    dense: Float32Array.from({ length: dim }, (_, i) => (i === 0 ? 1 : 0)),
    sparse: { ids: Uint32Array.from([3]), weights: Float32Array.from([1]) },
    multi: { data: Float32Array.from({ length: mdim }, (_, i) => (i === 0 ? 1 : 0)), count: 1, dim: mdim },
    tokens: 2,
    truncated: false,
  };
}

describe('SearchIndex.addBlock: a clean block', () => {
  it('adds every row with its dense row, its sparse slice and its token vectors deferred or empty', () => {
    const index = new SearchIndex();
    expect(index.addBlock(block())).toEqual([]);
    expect(index.search(encoded(2, 2), { mode: 'dense', k: 3 }).map((h) => [h.id, h.score])).toEqual([
      ['a', 1],
      ['c', 1],
      ['b', 0],
    ]);
    const sparse = (ids: number[]) => index.search({ ...encoded(2, 2), sparse: { ids: Uint32Array.from(ids), weights: Float32Array.from(ids, () => 1) } }, { mode: 'sparse', k: 3 });
    expect(sparse([4]).map((h) => [h.id, h.score])).toEqual([['a', 1]]);
    expect(sparse([2, 9]).map((h) => [h.id, h.score])).toEqual([
      ['b', 2],
      ['c', 1],
    ]);
    expect(index.deferredMulti('b')).toMatchObject({ count: 1, dim: 2, sum: 7 });
    expect(index.deferredMulti('a')).toBeUndefined();
    expect(index.deferredMulti('c')).toBeUndefined();
  });

  it('int8 rows keep their scales; a zero scale is valid', () => {
    const index = new SearchIndex({ dense: 'int8' });
    expect(index.addBlock(int8Block())).toEqual([]);
    expect(index.search(encoded(2, 2), { mode: 'dense', k: 3 }).map((h) => [h.id, h.score])).toEqual([
      ['c', 254],
      ['a', 63.5],
      ['b', 0],
    ]);
  });

  it('`only` takes just the rows it names; rows that are not row numbers are skipped silently', () => {
    expect(add(block(), new SearchIndex(), [2])).toEqual({ problems: [], ids: ['c'] });
    expect(add(block(), new SearchIndex(), [-1, 0.5, 3, 7, 1])).toEqual({ problems: [], ids: ['b'] });
    expect(add({ ...block(), docs: [], dense: { kind: 'float32', data: new Float32Array(0) }, sparseEnds: new Uint32Array(0), sparseIds: new Uint32Array(0), sparseWeights: new Float32Array(0), multiCounts: new Uint32Array(0), multiSums: new Uint32Array(0) })).toEqual({ problems: [], ids: [] });
  });
});

describe('SearchIndex.addBlock: a damaged row is left out with its reason', () => {
  it('a bad document, or an id already indexed or earlier in the block', () => {
    const b = block();
    (b.docs as unknown[])[1] = { id: 'b', text: '' };
    const r = add(b);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]![0]).toBe(1);
    expect(r.problems[0]![1]).toMatch(/^stored record is corrupt: .*text/);
    expect(r.ids).toEqual(['a', 'c']);

    const dup = block();
    (dup.docs as unknown[])[2] = { id: 'a', text: 'again' };
    expect(add(dup).problems).toEqual([[2, 'Id "a" is already indexed.']]);
    const index = new SearchIndex();
    index.add({ id: 'b', text: 'first' }, encoded(2, 2));
    expect(add(block(), index)).toEqual({ problems: [[1, 'Id "b" is already indexed.']], ids: ['a', 'b', 'c'] });
  });

  it('a dense dimension other than the index\'s fails every row; an empty index takes the block\'s', () => {
    const index = new SearchIndex();
    index.add({ id: 'x', text: 'x' }, encoded(3, 2));
    const msg = (id: string) => `document "${id}": dense vector has 2 dims but this index holds 3-dim vectors (all documents must come from the same model).`;
    expect(add(block(), index).problems).toEqual([
      [0, msg('a')],
      [1, msg('b')],
      [2, msg('c')],
    ]);
  });

  it('an int8 scale that is negative, NaN or infinite', () => {
    for (const bad of [-1, NaN, Infinity]) {
      const b = int8Block();
      (b.dense as { scales: Float32Array }).scales[1] = bad;
      expect(add(b, new SearchIndex({ dense: 'int8' }))).toEqual({ problems: [[1, 'stored record "b" is corrupt: dense scale is invalid']], ids: ['a', 'c'] });
    }
  });

  it('a float32 row holding NaN or Infinity (only that row)', () => {
    for (const [at, row, id] of [[0, 0, 'a'], [3, 1, 'b'], [4, 2, 'c']] as const) {
      const b = block();
      (b.dense.data as Float32Array)[at] = at === 3 ? Infinity : NaN;
      const r = add(b);
      expect(r.problems).toEqual([[row, `stored record "${id}" is corrupt: dense vector holds NaN or Infinity`]]);
      expect(r.ids).toEqual(['a', 'b', 'c'].filter((x) => x !== id));
    }
  });

  it('sparse ends out of range, ids not ascending or repeated, weights not finite', () => {
    const out = (id: string) => `stored record "${id}" is corrupt: sparse vector out of range`;
    const unsorted = (id: string) => `stored record "${id}" is corrupt: sparse ids must be sorted ascending and unique`;
    // b's slice ends before it starts: [2, 1); c's then starts at 1 and is [4, 2, 0, 9].
    expect(add({ ...block(), sparseEnds: Uint32Array.from([2, 1, 5]) }).problems).toEqual([
      [1, out('b')],
      [2, unsorted('c')],
    ]);
    // b's slice reaches past the ids: [2, 9) of 5; c's then is [9, 5).
    expect(add({ ...block(), sparseEnds: Uint32Array.from([2, 9, 5]) }).problems).toEqual([
      [1, out('b')],
      [2, out('c')],
    ]);
    // a's first pair out of order; c's pair repeated.
    expect(add({ ...block(), sparseIds: Uint32Array.from([4, 1, 2, 9, 9]) }).problems).toEqual([
      [0, unsorted('a')],
      [2, unsorted('c')],
    ]);
    // b's one id may be anything: a slice of one is sorted.
    expect(add({ ...block(), sparseIds: Uint32Array.from([1, 4, 99, 0, 9]) }).problems).toEqual([]);
    for (const [at, row, id] of [[1, 0, 'a'], [2, 1, 'b'], [4, 2, 'c']] as const) {
      const b = block();
      b.sparseWeights[at] = at === 2 ? -Infinity : NaN;
      expect(add(b).problems).toEqual([[row, `stored record "${id}" is corrupt: sparse weights hold NaN or Infinity`]]);
    }
  });

  it('token vectors without a dimension, or of another dimension than the index\'s (rows without any pass)', () => {
    expect(add({ ...block(), multiDim: 0 })).toEqual({ problems: [[1, 'stored record "b" is corrupt: token vectors without a dimension']], ids: ['a', 'c'] });
    const index = new SearchIndex();
    index.add({ id: 'x', text: 'x' }, encoded(2, 3));
    expect(add(block(), index)).toEqual({
      problems: [[1, 'document "b": multi-vectors have 2 dims but this index holds 3-dim vectors (all documents must come from the same model).']],
      ids: ['a', 'c', 'x'],
    });
  });
});

describe('SearchIndex.addBlock: a damaged column fails every row', () => {
  const cases: [string, (b: StoredBlock) => StoredBlock, string][] = [
    ['dimension 0', (b) => ({ ...b, dim: 0 }), 'no dense dimension'],
    ['dimension 1.5', (b) => ({ ...b, dim: 1.5 }), 'no dense dimension'],
    ['a dense row short', (b) => ({ ...b, dense: { kind: 'float32', data: new Float32Array(5) } }), 'its dense rows do not match its documents'],
    ['a dense row extra', (b) => ({ ...b, dense: { kind: 'float32', data: new Float32Array(8) } }), 'its dense rows do not match its documents'],
    ['an int8 scale missing', (b) => ({ ...b, dense: { kind: 'int8', data: new Int8Array(6), scales: new Float32Array(2) } }), 'its dense scales do not match its documents'],
    ['a sparse end missing', (b) => ({ ...b, sparseEnds: Uint32Array.from([2, 3]) }), 'its sparse vectors do not match its documents'],
    ['ids and weights of different lengths', (b) => ({ ...b, sparseWeights: new Float32Array(4) }), 'its sparse vectors do not match its documents'],
    ['the last end short of the ids', (b) => ({ ...b, sparseEnds: Uint32Array.from([2, 3, 4]) }), 'its sparse vectors do not match its documents'],
    ['a token count missing', (b) => ({ ...b, multiCounts: Uint32Array.from([0, 1]) }), 'its token-vector counts do not match its documents'],
    ['a token checksum missing', (b) => ({ ...b, multiSums: Uint32Array.from([0, 7]) }), 'its token-vector counts do not match its documents'],
    ['an unknown token kind', (b) => ({ ...b, multiKind: 'float64' as never }), 'unknown multiKind float64'],
    ['a negative token dimension', (b) => ({ ...b, multiDim: -1 }), 'no multi dimension'],
    ['a fractional token dimension', (b) => ({ ...b, multiDim: 2.5 }), 'no multi dimension'],
  ];
  for (const [what, damage, reason] of cases) {
    it(`${what}: "${reason}"`, () => {
      const index = new SearchIndex();
      expect(index.addBlock(damage(block()))).toEqual([0, 1, 2].map((row) => ({ row, reason: `stored group is corrupt: ${reason}` })));
      expect(index.size).toBe(0);
    });
  }

  it('every token kind the store writes is accepted', () => {
    for (const multiKind of ['float32', 'float16', 'int8'] as const) expect(new SearchIndex().addBlock({ ...block(), multiKind })).toEqual([]);
  });
});
