// SearchIndex error paths and reports the main suite does not pin down:
// messages and details of each error, snapshots whose records are
// inconsistent, kernel names and the sparsity report.
import { describe, expect, it } from 'vitest';
import { SearchIndex } from '../../src/core/search-index.js';
import { decodeRecord } from '../../src/core/record.js';
import { encodeSnapshot } from '../../src/core/snapshot.js';
import type { Encoded } from '../../src/core/types.js';
import { caught } from './helpers.js';

/** A 2-dim dense, 2-dim multi encoding with the given sparse ids (weights 0.5). */
function enc(sparseIds: number[], dense = [1, 0], multi = [0, 1]): Encoded {
  return {
    dense: Float32Array.from(dense),
    sparse: { ids: Uint32Array.from(sparseIds), weights: new Float32Array(sparseIds.length).fill(0.5) },
    multi: { data: Float32Array.from(multi), count: multi.length / 2, dim: 2 },
    tokens: 3,
    truncated: false,
  };
}

describe('SearchIndex errors carry messages and details', () => {
  it('duplicate ids in add and addRecord', () => {
    const index = new SearchIndex();
    index.add({ id: 'a', text: 'a' }, enc([1, 2]));
    const e = caught(() => index.add({ id: 'a', text: 'a' }, enc([3])));
    expect([e.code, e.message, e.details]).toEqual(['DUPLICATE_ID', 'Id "a" is already indexed; use upsert() to replace it.', { id: 'a' }]);
    const r = caught(() => index.addRecord(index.toRecord('a')!));
    expect([r.code, r.message, r.details]).toEqual(['DUPLICATE_ID', 'Id "a" is already indexed.', { id: 'a' }]);
  });

  it('a bad encoding names the document', () => {
    const bad = { ...enc([1]), dense: Float32Array.from([Number.NaN, 0]) };
    const e = caught(() => new SearchIndex().add({ id: 'x', text: 'x' }, bad));
    expect(e.code).toBe('INVALID_DOCUMENT');
    expect(e.message).toBe('document "x": dense vector holds NaN or Infinity');
    expect(e.details).toEqual({ id: 'x' });
  });

  it('dimension mismatches report got and want', () => {
    const index = new SearchIndex();
    index.add({ id: 'a', text: 'a' }, enc([1]));
    const d = caught(() => index.add({ id: 'b', text: 'b' }, enc([1], [1, 0, 0])));
    expect([d.code, d.details]).toEqual(['INVALID_DOCUMENT', { id: 'b', got: 3, want: 2 }]);
    expect(d.message).toBe('document "b": dense vector has 3 dims but this index holds 2-dim vectors (all documents must come from the same model).');
    const m = caught(() => index.add({ id: 'c', text: 'c' }, { ...enc([1]), multi: { data: Float32Array.from([1, 0, 0]), count: 1, dim: 3 } }));
    expect([m.code, m.details]).toEqual(['INVALID_DOCUMENT', { id: 'c', got: 3, want: 2 }]);
    expect(m.message).toBe('document "c": multi-vectors have 3 dims but this index holds 2-dim vectors (all documents must come from the same model).');
  });

  it('searching an empty index', () => {
    const e = caught(() => new SearchIndex().search(enc([1])));
    expect([e.code, e.message]).toEqual(['INDEX_EMPTY', 'Nothing is indexed yet; add documents before searching.']);
  });
});

describe('SearchIndex.deserialize rejects inconsistent records', () => {
  const index = new SearchIndex();
  index.add({ id: 'a', text: 'alpha' }, enc([1, 2]));
  const rec = decodeRecord(index.toRecord('a'));

  it('a repeated id', () => {
    const bytes = encodeSnapshot(index.options, index.dims, [rec, rec]);
    const e = caught(() => SearchIndex.deserialize(bytes));
    expect([e.code, e.message]).toEqual(['INVALID_INDEX', 'not a valid m3search index snapshot: duplicate id "a"']);
  });

  it('a document that is not valid', () => {
    const bytes = encodeSnapshot(index.options, index.dims, [{ ...rec, doc: { id: '', text: 'empty id' } }]);
    const e = caught(() => SearchIndex.deserialize(bytes));
    expect(e.code).toBe('INVALID_INDEX');
    expect(e.message).toMatch(/^not a valid m3search index snapshot: ./);
  });
});

describe('SearchIndex reports', () => {
  it('names the kernels; no dense scan before the first document', () => {
    const index = new SearchIndex();
    const empty = index.stats().kernels;
    expect(empty.denseScan).toBe('none');
    expect(['wasm-simd', 'js']).toContain(empty.maxSim);
    index.add({ id: 'a', text: 'a' }, enc([1]));
    expect(['wasm-simd', 'js']).toContain(index.stats().kernels.denseScan);
  });

  it('sparsity counts documents without sparse terms as 0 and records queries', () => {
    const index = new SearchIndex();
    index.add({ id: 'a', text: 'a' }, enc([1, 2, 3]));
    index.add({ id: 'b', text: 'b' }, enc([]));
    index.add({ id: 'c', text: 'c' }, enc([4]));
    const none = { count: 0, min: 0, p50: 0, p90: 0, max: 0, mean: 0 };
    // Nearest rank over [0, 1, 3]: p50 = 2nd value, p90 = 3rd.
    expect(index.sparsity()).toEqual({ docs: { count: 3, min: 0, p50: 1, p90: 3, max: 3, mean: 4 / 3 }, queries: none });
    index.search(enc([1, 4]), { mode: 'sparse', k: 2 });
    expect(index.sparsity().queries).toEqual({ count: 1, min: 2, p50: 2, p90: 2, max: 2, mean: 2 });
  });
});
