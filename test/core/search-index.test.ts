import { describe, expect, it } from 'vitest';
import { SearchIndex } from '../../src/core/search-index.js';
import { decodeRecord } from '../../src/core/record.js';
import { multiToFloat32, denseToFloat32 } from '../../src/core/stored.js';
import { isM3SearchError } from '../../src/core/errors.js';
import type { Encoded, Hit, IndexOptions, MultiVector, Signal } from '../../src/core/types.js';
import { corpus, naiveDot, naiveMaxSim, naiveSparse, nearQuery, randomEncoded, rng, SMALL, thrown } from './helpers.js';

function build(n: number, seed = 1, opts: IndexOptions = {}) {
  const { docs, encs } = corpus(seed, n);
  const index = new SearchIndex(opts);
  docs.forEach((d, i) => index.add(d, encs[i]!));
  return { index, docs, encs };
}

/** The vectors exactly as the index holds them (dequantized), read through the public record API. */
function stored(index: SearchIndex, id: string): { dense: Float32Array; multi: MultiVector; sparse: Encoded['sparse'] } {
  const rec = decodeRecord(index.toRecord(id)!);
  return {
    dense: denseToFloat32(rec.dense),
    multi: { data: multiToFloat32(rec.multi), count: rec.multi.count, dim: rec.multi.dim },
    sparse: rec.sparse,
  };
}

type Naive = { id: string; seq: number; dense: number; sparse: number; multi: number; overlap: boolean };

function naiveAll(index: SearchIndex, q: Encoded, budget?: number, qBudget?: number): Naive[] {
  return [...index.ids()].map((id, seq) => {
    const s = stored(index, id);
    return {
      id,
      seq,
      dense: naiveDot(q.dense, s.dense),
      sparse: naiveSparse(q.sparse, s.sparse),
      multi: naiveMaxSim(q.multi, s.multi, budget, qBudget),
      overlap: s.sparse.ids.some((x) => q.sparse.ids.includes(x)),
    };
  });
}

function topBy(rows: Naive[], key: (r: Naive) => number, k: number): Naive[] {
  return [...rows].sort((a, b) => key(b) - key(a) || a.seq - b.seq).slice(0, k);
}

/** Checks each hit's per-signal rank against the signal scores of the given candidate set. */
function expectRanksConsistent(hits: Hit[], candidates: Naive[]): void {
  for (const h of hits) {
    for (const sig of ['dense', 'sparse', 'multi'] as Signal[]) {
      const own = h.signals[sig]!;
      const me = candidates.find((c) => c.id === h.id)!;
      const better = candidates.filter((c) => {
        const d = c[sig] - me[sig];
        return Math.abs(d) > 1e-9 ? d > 0 : c.seq < me.seq;
      }).length;
      expect(own.rank).toBe(better + 1);
      expect(own.score).toBeCloseTo(me[sig], 5);
    }
  }
}

describe('SearchIndex basics', () => {
  it('tracks size, ids, and returns copies of documents', () => {
    const { index, docs } = build(20);
    expect(index.size).toBe(20);
    expect([...index.ids()]).toEqual(docs.map((d) => d.id));
    expect(index.has('doc-3')).toBe(true);
    expect(index.has('nope')).toBe(false);
    const d = index.getDoc('doc-3')!;
    expect(d).toEqual(docs[3]);
    (d.meta as { n: number }).n = 999;
    d.text = 'changed';
    expect(index.getDoc('doc-3')).toEqual(docs[3]);
    // Mutating the caller's original object does not reach the index either.
    (docs[4]!.meta as { tags: unknown[] }).tags.push('x');
    expect((index.getDoc('doc-4')!.meta as { tags: unknown[] }).tags).toEqual(['t', 1]);
    expect(index.options).toEqual({ dense: 'float32', sparse: 'float32', multi: 'float16', multiVectors: 'all', maxMultiVectors: 32 });
    expect(index.dims).toEqual({ dense: SMALL.dense, multi: SMALL.multi });
  });
});

describe('search modes', () => {
  const { index, encs } = build(300, 7);
  const r = rng(99);
  const queries = Array.from({ length: 8 }, (_, i) => nearQuery(r, encs[i * 31]!));

  it('dense: exact top-k over all documents, signals for the hits ranked among the hits', () => {
    for (const q of queries) {
      const hits = index.search(q, { mode: 'dense', k: 10 });
      const all = naiveAll(index, q);
      const want = topBy(all, (x) => x.dense, 10);
      expect(hits.map((h) => h.id)).toEqual(want.map((x) => x.id));
      hits.forEach((h, i) => {
        expect(h.score).toBeCloseTo(want[i]!.dense, 5);
        expect(h.signals.dense).toEqual({ score: h.score, rank: i + 1 });
      });
      expectRanksConsistent(hits, want);
    }
  });

  it('sparse: top-k from the inverted index equals a naive scan of overlapping documents', () => {
    for (const q of queries) {
      const hits = index.search(q, { mode: 'sparse', k: 10 });
      const all = naiveAll(index, q).filter((x) => x.overlap);
      const want = topBy(all, (x) => x.sparse, 10);
      expect(hits.map((h) => h.id)).toEqual(want.map((x) => x.id));
      hits.forEach((h, i) => expect(h.score).toBeCloseTo(want[i]!.sparse, 5));
      expectRanksConsistent(hits, want);
    }
  });

  const candidatesOf = (all: Naive[], n: number): Naive[] => {
    const ids = new Set([
      ...topBy(all, (x) => x.dense, n).map((x) => x.id),
      ...topBy(all.filter((x) => x.overlap), (x) => x.sparse, n).map((x) => x.id),
    ]);
    return all.filter((x) => ids.has(x.id));
  };

  it('multi: MaxSim re-ranking of dense top-N ∪ sparse top-N', () => {
    for (const q of queries) {
      const hits = index.search(q, { mode: 'multi', k: 5, candidates: 12 });
      const cands = candidatesOf(naiveAll(index, q), 12);
      const want = topBy(cands, (x) => x.multi, 5);
      expect(hits.map((h) => h.id)).toEqual(want.map((x) => x.id));
      hits.forEach((h, i) => {
        expect(h.score).toBeCloseTo(want[i]!.multi, 6);
        expect(h.signals.multi!.score).toBe(h.score);
        expect(h.signals.multi!.rank).toBe(i + 1);
      });
      expectRanksConsistent(hits, cands);
    }
  });

  it('hybrid weighted: score is exactly w·signals, ranking equals brute force over the candidates', () => {
    for (const weights of [undefined, { sparse: 0 }, { dense: 1, sparse: 0.3, multi: 2 }]) {
      const w = { dense: 0.4, sparse: 0.2, multi: 0.4, ...weights };
      for (const q of queries) {
        const hits = index.search(q, { k: 8, candidates: 20, weights });
        for (const h of hits) {
          const s = h.signals;
          expect(h.score).toBe(w.dense * s.dense!.score + w.sparse * s.sparse!.score + w.multi * s.multi!.score);
        }
        const cands = candidatesOf(naiveAll(index, q), 20);
        const want = topBy(cands, (x) => w.dense * x.dense + w.sparse * x.sparse + w.multi * x.multi, 8);
        expect(hits.map((h) => h.id)).toEqual(want.map((x) => x.id));
        expectRanksConsistent(hits, cands);
      }
    }
  });

  it('hybrid RRF: score is Σ w/(rrfK + rank) over the per-signal ranks', () => {
    for (const rrfK of [60, 5]) {
      for (const q of queries) {
        const hits = index.search(q, { k: 10, fusion: 'rrf', rrfK, candidates: 30 });
        const cands = candidatesOf(naiveAll(index, q), 30);
        expectRanksConsistent(hits, cands);
        for (const h of hits) {
          const s = h.signals;
          expect(h.score).toBeCloseTo(0.4 / (rrfK + s.dense!.rank) + 0.2 / (rrfK + s.sparse!.rank) + 0.4 / (rrfK + s.multi!.rank), 14);
        }
        for (let i = 1; i < hits.length; i++) expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score);
      }
    }
  });

  it('default candidate depth is max(100, 10k): with 300 docs and k 20 the ranking covers 200 per list', () => {
    const q = queries[0]!;
    const a = index.search(q, { k: 20 });
    const b = index.search(q, { k: 20, candidates: 200 });
    expect(a).toEqual(b);
  });

  it('filter applies before top-k in every mode', () => {
    const filter = (d: { meta?: Record<string, unknown> }): boolean => (d.meta!.n as number) % 4 === 0;
    for (const mode of ['dense', 'sparse', 'multi', 'hybrid'] as const) {
      const hits = index.search(queries[1]!, { mode, k: 10, filter });
      expect(hits.length).toBe(10);
      for (const h of hits) expect((h.doc.meta!.n as number) % 4).toBe(0);
    }
    expect(index.search(queries[1]!, { filter: () => false })).toEqual([]);
  });

  it('multi-vector budgets pass through to MaxSim', () => {
    const q = queries[2]!;
    const hits = index.search(q, { mode: 'multi', k: 5, multiVectorBudget: 2, queryVectorBudget: 1 });
    for (const h of hits) {
      expect(h.signals.multi!.score).toBeCloseTo(naiveMaxSim(q.multi, stored(index, h.id).multi, 2, 1), 6);
    }
    const full = index.search(q, { mode: 'multi', k: 5 });
    expect(full.map((h) => h.signals.multi!.score)).not.toEqual(hits.map((h) => h.signals.multi!.score));
  });

  it('hits are copies: mutating one does not change the index', () => {
    const [h] = index.search(queries[3]!, { k: 1 });
    h!.doc.text = 'mutated';
    expect(index.getDoc(h!.id)!.text).not.toBe('mutated');
  });

  it('a query missing a representation skips that signal', () => {
    const q = queries[4]!;
    const noSparse = { ...q, sparse: { ids: new Uint32Array(0), weights: new Float32Array(0) } };
    const hits = index.search(noSparse, { k: 5 });
    expect(hits.length).toBe(5);
    for (const h of hits) {
      expect(h.signals.sparse).toBeUndefined();
      expect(h.score).toBe(0.4 * h.signals.dense!.score + 0.4 * h.signals.multi!.score);
    }
    // Only token vectors: every document is a candidate.
    const onlyMulti = { ...noSparse, dense: new Float32Array(SMALL.dense) };
    const m = index.search(onlyMulti, { mode: 'multi', k: 3 });
    const want = topBy(naiveAll(index, q), (x) => x.multi, 3);
    expect(m.map((h) => h.id)).toEqual(want.map((x) => x.id));
  });
});

describe('determinism', () => {
  it('equal scores break ties by insertion order; an upserted document counts as newest', () => {
    const enc = randomEncoded(rng(5));
    const index = new SearchIndex();
    for (const id of ['c', 'a', 'b']) index.add({ id, text: id }, enc);
    for (const mode of ['dense', 'sparse', 'multi', 'hybrid'] as const) {
      expect(index.search(enc, { mode }).map((h) => h.id)).toEqual(['c', 'a', 'b']);
    }
    index.upsert({ id: 'c', text: 'c again' }, enc);
    expect(index.search(enc).map((h) => h.id)).toEqual(['a', 'b', 'c']);
    expect([...index.ids()]).toEqual(['a', 'b', 'c']);
    const again = index.search(enc, { fusion: 'rrf' });
    expect(again.map((h) => h.signals.dense!.rank)).toEqual([1, 2, 3]);
  });
});

describe('search errors', () => {
  it('INDEX_EMPTY, EMPTY_QUERY, MODEL_MISMATCH and INVALID_OPTION', () => {
    const enc = randomEncoded(rng(6));
    const empty = new SearchIndex();
    expect(isM3SearchError(thrown(() => empty.search(enc)), 'INDEX_EMPTY')).toBe(true);
    const { index } = build(5);
    const zeroDense = { ...enc, dense: new Float32Array(SMALL.dense) };
    const noSparse = { ...enc, sparse: { ids: new Uint32Array(0), weights: new Float32Array(0) } };
    const noMulti = { ...enc, multi: { data: new Float32Array(0), count: 0, dim: SMALL.multi } };
    expect(isM3SearchError(thrown(() => index.search(zeroDense, { mode: 'dense' })), 'EMPTY_QUERY')).toBe(true);
    expect(isM3SearchError(thrown(() => index.search(noSparse, { mode: 'sparse' })), 'EMPTY_QUERY')).toBe(true);
    const zeroWeights = { ...enc, sparse: { ids: enc.sparse.ids, weights: new Float32Array(enc.sparse.ids.length) } };
    expect(isM3SearchError(thrown(() => index.search(zeroWeights, { mode: 'sparse' })), 'EMPTY_QUERY')).toBe(true);
    expect(isM3SearchError(thrown(() => index.search(noMulti, { mode: 'multi' })), 'EMPTY_QUERY')).toBe(true);
    const allEmpty = { ...zeroDense, sparse: noSparse.sparse, multi: noMulti.multi };
    expect(isM3SearchError(thrown(() => index.search(allEmpty)), 'EMPTY_QUERY')).toBe(true);
    expect(isM3SearchError(thrown(() => index.search({ ...enc, dense: new Float32Array(7).fill(1) })), 'MODEL_MISMATCH')).toBe(true);
    expect(isM3SearchError(thrown(() => index.search(enc, { k: 0 })), 'INVALID_OPTION')).toBe(true);
    expect(isM3SearchError(thrown(() => index.search(enc, { mode: 'bogus' as 'dense' })), 'INVALID_OPTION')).toBe(true);
    expect(isM3SearchError(thrown(() => index.search(enc, { weights: { dense: NaN } })), 'INVALID_OPTION')).toBe(true);
    expect(isM3SearchError(thrown(() => index.search(enc, { multiVectorBudget: 0 })), 'INVALID_OPTION')).toBe(true);
    expect(isM3SearchError(thrown(() => new SearchIndex({ dense: 'int4' as 'int8' })), 'INVALID_OPTION')).toBe(true);
    // An index without token vectors (e.g. a SPLADE model) cannot do multi mode, but hybrid still works.
    const noTokens = new SearchIndex();
    noTokens.add({ id: 'a', text: 'a' }, { ...enc, multi: { data: new Float32Array(0), count: 0, dim: 0 } });
    expect(isM3SearchError(thrown(() => noTokens.search(enc, { mode: 'multi' })), 'INVALID_OPTION')).toBe(true);
    const [only] = noTokens.search(enc);
    expect(only!.signals.multi).toBeUndefined();
    expect(only!.score).toBe(0.4 * only!.signals.dense!.score + 0.2 * only!.signals.sparse!.score);
    // Unsorted query sparse ids are accepted (canonicalized), with duplicates summed.
    const messy = { ...enc, sparse: { ids: Uint32Array.from([5, 2, 5]), weights: Float32Array.from([0.5, 1, 0.25]) } };
    const canon = { ...enc, sparse: { ids: Uint32Array.from([2, 5]), weights: Float32Array.from([1, 0.75]) } };
    expect(index.search(messy)).toEqual(index.search(canon));
  });
});
