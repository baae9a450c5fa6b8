// SearchIndex.addBlock: many stored documents adopted at once, column by
// column (how a schema-4 IndexedDB pack hands them over at a reopen). The
// index it builds must answer exactly like one built record by record, and a
// row that a record would be refused for is left out and reported while the
// rest are added. The sparse index builds its posting lists on first use.
import { describe, expect, it } from 'vitest';
import { foldBytes, foldNumber, foldValues, foldWords } from '../../src/core/checksum.js';
import { encodeRecord, type StoredBlock, type StoredRecord } from '../../src/core/record.js';
import { SearchIndex } from '../../src/core/search-index.js';
import { SparseIndex } from '../../src/core/sparse-index.js';
import type { Encoded, IndexOptions } from '../../src/core/types.js';
import { rng } from './helpers.js';

const DIM = 16;
const MDIM = 8;

function encoded(r: () => number): Encoded {
  const vec = (n: number) => Float32Array.from({ length: n }, () => r() * 2 - 1);
  const ids = [...new Set(Array.from({ length: 1 + Math.floor(r() * 6) }, () => Math.floor(r() * 40)))].sort((a, b) => a - b);
  const count = 1 + Math.floor(r() * 3);
  return { dense: vec(DIM), sparse: { ids: Uint32Array.from(ids), weights: Float32Array.from(ids, () => r()) }, multi: { data: vec(count * MDIM), count, dim: MDIM }, tokens: 4, truncated: false };
}

/** Records as a block (token vectors deferred, their checksum a stand-in), built the way the store lays a pack out. */
function blockOf(recs: StoredRecord[]): StoredBlock {
  const n = recs.length;
  const int8 = recs[0]!.denseKind === 'int8';
  const dense = int8 ? new Int8Array(n * DIM) : new Float32Array(n * DIM);
  const scales = new Float32Array(n);
  const ends = new Uint32Array(n);
  const ids: number[] = [];
  const weights: number[] = [];
  recs.forEach((r, i) => {
    dense.set(int8 ? new Int8Array(r.dense) : new Float32Array(r.dense), i * DIM);
    scales[i] = r.denseScale ?? 0;
    ids.push(...new Uint32Array(r.sparseIds));
    weights.push(...new Float32Array(r.sparseWeights));
    ends[i] = ids.length;
  });
  return {
    docs: recs.map((r) => r.doc),
    dim: DIM,
    dense: int8 ? { kind: 'int8', data: dense as Int8Array, scales } : { kind: 'float32', data: dense as Float32Array },
    sparseEnds: ends,
    sparseIds: Uint32Array.from(ids),
    sparseWeights: Float32Array.from(weights),
    multiKind: recs[0]!.multiKind,
    multiDim: MDIM,
    multiCounts: Uint32Array.from(recs, (r) => r.multiCount),
    multiSums: Uint32Array.from(recs, (_, i) => 1000 + i),
  };
}

const QUERY = encoded(rng(99));
const MODES = [{ dense: 1, sparse: 0, multi: 0 }, { dense: 0, sparse: 1, multi: 0 }, { dense: 0.5, sparse: 0.5, multi: 0 }];

function answers(index: SearchIndex): unknown {
  return MODES.map((weights) => index.search(QUERY, { k: 8, weights }).map((h) => [h.id, h.score]));
}

describe('SearchIndex.addBlock', () => {
  for (const options of [{}, { dense: 'int8', multi: 'int8', sparse: 'float16' }] as IndexOptions[]) {
    it(`adopts a block exactly as record-by-record adds (${JSON.stringify(options)}), token vectors deferred`, () => {
      const r = rng(7);
      const recs = Array.from({ length: 40 }, (_, i) => encodeRecord({ id: `d${i}`, text: `doc ${i}` }, encoded(r), options));
      const one = new SearchIndex(options);
      for (const rec of recs) one.addRecord({ ...rec, multi: new ArrayBuffer(0), multiScales: rec.multiKind === 'int8' ? new ArrayBuffer(0) : undefined, multiDeferred: { sum: 1 } } as StoredRecord);
      const block = new SearchIndex(options);
      // Two blocks, the second after a few single records: slots and order continue.
      expect(block.addBlock(blockOf(recs.slice(0, 25)))).toEqual([]);
      expect(block.addBlock(blockOf(recs.slice(25)))).toEqual([]);
      expect(block.size).toBe(40);
      expect(answers(block)).toEqual(answers(one));
      expect(block.deferredMulti('d3')).toEqual({ kind: recs[3]!.multiKind, count: recs[3]!.multiCount, dim: MDIM, sum: 1003 });
      expect(block.stats().postings).toBe(one.stats().postings);
      expect(block.stats().bytes).toEqual(one.stats().bytes);
      // Removing and adding after adoption keeps the two in step.
      for (const ix of [one, block]) {
        ix.remove('d4');
        ix.remove('d30');
        ix.add({ id: 'new', text: 'new' }, encoded(rng(5)));
      }
      expect(answers(block)).toEqual(answers(one));
    });
  }

  it('leaves out and reports the rows a record would be refused for; the rest are added', () => {
    const r = rng(3);
    const recs = Array.from({ length: 8 }, (_, i) => encodeRecord({ id: `d${i}`, text: `doc ${i}` }, encoded(r), { dense: 'int8' }));
    const b = blockOf(recs);
    (b.docs as unknown[])[1] = { id: 'd1', text: '' }; // no text
    (b.docs as unknown[])[2] = { id: 'd0', text: 'again' }; // a duplicate id within the block
    (b.dense as { scales: Float32Array }).scales[3] = NaN;
    const ids = b.sparseIds;
    const at = b.sparseEnds[4]! - 1;
    if (at > b.sparseEnds[3]!) ids[at] = ids[at - 1]!; // not ascending
    else b.sparseWeights[at] = Infinity;
    b.multiCounts[5] = 2;
    const index = new SearchIndex({ dense: 'int8' });
    index.add({ id: 'd6', text: 'already here' }, encoded(r));
    const problems = index.addBlock(b);
    expect(problems.map((p) => p.row)).toEqual([1, 2, 3, 4, 6]);
    expect(problems.map((p) => p.reason).join(' | ')).toMatch(/text is empty.*already indexed.*dense scale is invalid.*sparse.*already indexed/);
    expect([...index.ids()].sort()).toEqual(['d0', 'd5', 'd6', 'd7']);
    expect(index.deferredMulti('d5')!.count).toBe(2);
    // `only`: just these rows are considered.
    const other = new SearchIndex({ dense: 'int8' });
    expect(other.addBlock(blockOf(recs), [0, 7])).toEqual([]);
    expect([...other.ids()]).toEqual(['d0', 'd7']);
  });

  it('a block whose columns disagree in length adds nothing and reports every row', () => {
    const recs = Array.from({ length: 4 }, (_, i) => encodeRecord({ id: `d${i}`, text: `doc ${i}` }, encoded(rng(i + 1))));
    const b = { ...blockOf(recs), sparseEnds: new Uint32Array(3) };
    const index = new SearchIndex();
    expect(index.addBlock(b).map((p) => p.row)).toEqual([0, 1, 2, 3]);
    expect(index.size).toBe(0);
  });
});

describe('SparseIndex: adopted vectors, posting lists built on first use', () => {
  it('answers, scores and stats equal an index filled with set()', () => {
    const r = rng(11);
    const vecs = Array.from({ length: 60 }, () => encoded(r).sparse);
    const a = new SparseIndex();
    const b = new SparseIndex();
    vecs.forEach((v, slot) => a.set(slot, v));
    vecs.forEach((v, slot) => b.adopt(slot, v));
    b.remove(7); // before the lists exist
    a.remove(7);
    const q = QUERY.sparse;
    expect(b.search(q, 10)).toEqual(a.search(q, 10));
    expect(b.stats()).toMatchObject({ terms: a.stats().terms, postings: a.stats().postings });
    expect(b.score(3, q)).toBe(a.score(3, q));
    a.remove(9);
    b.remove(9);
    a.set(61, vecs[0]!);
    b.adopt(61, vecs[0]!);
    expect(b.search(q, 10)).toEqual(a.search(q, 10));
  });
});

describe('checksum: foldWords and foldNumber', () => {
  it('are foldBytes and foldValues without views or arrays', () => {
    const r = rng(5);
    const bytes = Uint8Array.from({ length: 64 }, () => Math.floor(r() * 256));
    const words = new Uint32Array(bytes.buffer);
    for (const [a, b] of [[0, 16], [3, 9], [5, 5]] as const) expect(foldWords(17, words, a, b)).toBe(foldBytes(17, bytes.subarray(a * 4, b * 4)));
    for (const v of [0, 0.01, -3.5, NaN, Infinity]) expect(foldNumber(17, v)).toBe(foldValues(17, [v]));
  });
});
