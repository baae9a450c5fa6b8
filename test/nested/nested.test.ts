// Nested multi-vectors (flexible late interaction): the reduction itself, its
// place in the index (options, persistence, budgets) and coarse-to-fine search.
import { describe, expect, it } from 'vitest';
import { nestMultiVectors } from '../../src/core/nested.js';
import { decodeSnapshot } from '../../src/core/snapshot.js';
import { SearchIndex } from '../../src/core/search-index.js';
import type { Encoded, MultiVector } from '../../src/core/types.js';
import { gauss, naiveMaxSim, randomDense, randomEncoded, rng, unit } from '../core/helpers.js';

const DIM = 16;

/** Token vectors drawn around `centers`, one topic after another as in text (noise keeps them distinct). */
function around(r: () => number, centers: Float32Array[], count: number, noise = 0.35): MultiVector {
  const data = new Float32Array(count * DIM);
  for (let i = 0; i < count; i++) {
    const c = centers[Math.floor((i * centers.length) / count)]!;
    data.set(unit(Float32Array.from(c, (x) => x + (noise * gauss(r)) / Math.sqrt(DIM))), i * DIM);
  }
  return { data, count, dim: DIM };
}

/** Mean over tokens of the best cosine to the first `n` rows: how well a prefix summarizes them. */
function coverage(tokens: MultiVector, rows: MultiVector, n: number): number {
  return naiveMaxSim(tokens, rows, n);
}

describe('nestMultiVectors', () => {
  const r = rng(11);
  const centers = Array.from({ length: 8 }, () => randomDense(r, DIM));
  const tokens = around(r, centers, 120);

  it('keeps at most max unit rows, deterministically, starting with the mean direction', () => {
    const a = nestMultiVectors(tokens, 32);
    expect(a.count).toBe(32);
    expect(a.dim).toBe(DIM);
    for (let i = 0; i < a.count; i++) {
      const row = a.data.subarray(i * DIM, (i + 1) * DIM);
      expect(Math.hypot(...row)).toBeCloseTo(1, 5);
    }
    expect([...nestMultiVectors(tokens, 32).data]).toEqual([...a.data]);
    const mean = new Float32Array(DIM);
    for (let i = 0; i < tokens.count; i++) for (let t = 0; t < DIM; t++) mean[t]! += tokens.data[i * DIM + t]!;
    const m = unit(mean);
    for (let t = 0; t < DIM; t++) expect(a.data[t]).toBeCloseTo(m[t]!, 5);
    // Fewer tokens than the cap: one row per token, never more.
    expect(nestMultiVectors({ data: tokens.data.slice(0, 5 * DIM), count: 5, dim: DIM }, 32).count).toBe(5);
    expect(nestMultiVectors({ data: new Float32Array(0), count: 0, dim: DIM }, 8).count).toBe(0);
  });

  it('orders rows coarse to fine: every prefix summarizes better than the one before, and beats the first tokens', () => {
    const nested = nestMultiVectors(tokens, 32);
    let prev = -Infinity;
    for (const n of [1, 2, 4, 8, 16, 32]) {
      const c = coverage(tokens, nested, n);
      expect(c).toBeGreaterThanOrEqual(prev - 1e-9);
      prev = c;
      if (n <= 8) expect(c).toBeGreaterThan(coverage(tokens, tokens, n));
    }
    // Eight clusters → eight rows already cover every token well.
    expect(coverage(tokens, nested, 8)).toBeGreaterThan(0.85);
  });
});

/** Documents made of tokens around a few topics; queries repeat one document's topics. */
function topicCorpus(seed: number, nDocs: number) {
  const r = rng(seed);
  const topics = Array.from({ length: 60 }, () => randomDense(r, DIM));
  const docs: { id: string; enc: Encoded; topics: Float32Array[] }[] = [];
  for (let i = 0; i < nDocs; i++) {
    const mine = Array.from({ length: 4 }, () => topics[Math.floor(r() * topics.length)]!);
    const enc = randomEncoded(r, { dense: 8, multi: DIM, vocab: 50 });
    enc.multi = around(r, mine, 60 + Math.floor(r() * 60));
    docs.push({ id: `d${i}`, enc, topics: mine });
  }
  const queries = docs.slice(0, 40).map((d, i) => {
    const q = randomEncoded(r, { dense: 8, multi: DIM, vocab: 50 });
    q.multi = around(r, d.topics, 6, 0.3);
    return { want: d.id, enc: q, i };
  });
  return { docs, queries };
}

function build(opts: ConstructorParameters<typeof SearchIndex>[0], docs: { id: string; enc: Encoded }[]): SearchIndex {
  const index = new SearchIndex(opts);
  for (const d of docs) index.add({ id: d.id, text: d.id }, d.enc);
  return index;
}

describe('nested index', () => {
  const { docs, queries } = topicCorpus(5, 80);

  it('stores at most maxMultiVectors rows per passage and persists the layout', () => {
    const index = build({ multiVectors: 'nested', maxMultiVectors: 16, multi: 'float32' }, docs);
    expect(index.options).toMatchObject({ multiVectors: 'nested', maxMultiVectors: 16 });
    expect(index.stats().multiRows).toBe(80 * 16);
    const full = build({ multi: 'float32' }, docs);
    expect(index.stats().bytes.multi).toBeLessThan(full.stats().bytes.multi / 3);

    const back = SearchIndex.deserialize(index.serialize());
    expect(back.options).toEqual(index.options);
    // A passage added after reopening is nested too.
    back.add({ id: 'late', text: 'late' }, docs[3]!.enc);
    expect(back.stats().multiRows).toBe(81 * 16);
    // Records carry the nested rows; re-adding them does not re-reduce.
    const rec = index.toRecord('d0')!;
    expect(rec.multiCount).toBe(16);
    const other = new SearchIndex({ multi: 'float32' });
    other.addRecord(rec);
    expect(other.stats().multiRows).toBe(16);
    // Snapshots written before the option existed read as 'all'.
    const plain = decodeSnapshot(full.serialize());
    expect(plain.options.multiVectors).toBe('all');
  });

  it('serves every budget from one index: budget 8 finds what all vectors find', () => {
    const nested = build({ multiVectors: 'nested', maxMultiVectors: 32, multi: 'float32' }, docs);
    const full = build({ multi: 'float32' }, docs);
    const top1 = (index: SearchIndex, budget?: number) =>
      queries.filter((q) => index.search(q.enc, { mode: 'multi', k: 1, multiVectorBudget: budget })[0]!.id === q.want).length / queries.length;
    const allAcc = top1(full);
    expect(allAcc).toBeGreaterThan(0.9);
    expect(top1(nested, 8)).toBeGreaterThanOrEqual(allAcc - 0.05);
    // At a budget of 2 the nested prefix beats the first two raw tokens.
    expect(top1(nested, 2)).toBeGreaterThan(top1(full, 2));
    // The budget really limits the rows scored.
    const q = queries[0]!.enc;
    const [hit] = nested.search(q, { mode: 'multi', k: 1, multiVectorBudget: 1 });
    const rows = nested.toRecord(hit!.id)!;
    const first = { data: new Float32Array(rows.multi.slice(0, DIM * 4)), count: 1, dim: DIM };
    expect(hit!.score).toBeCloseTo(naiveMaxSim(q.multi, first), 5);
  });

  it('reduces the query the same way when queryVectorBudget is set', () => {
    const nested = build({ multiVectors: 'nested', maxMultiVectors: 32, multi: 'float32' }, docs);
    const q = queries[1]!.enc;
    const [hit] = nested.search(q, { mode: 'multi', k: 1, queryVectorBudget: 2 });
    const rec = nested.toRecord(hit!.id)!;
    const p = { data: new Float32Array(rec.multi), count: rec.multiCount, dim: DIM };
    expect(hit!.score).toBeCloseTo(naiveMaxSim(nestMultiVectors(q.multi, 2), p), 5);
  });

  it('coarse-to-fine: a deep enough coarse pass changes nothing; a shallow one re-ranks its survivors exactly', () => {
    const nested = build({ multiVectors: 'nested', maxMultiVectors: 32, multi: 'float32' }, docs);
    for (const { enc } of queries.slice(0, 10)) {
      const plain = nested.search(enc, { k: 5, candidates: 80 });
      const deep = nested.search(enc, { k: 5, candidates: 80, coarseBudget: 1, coarseDepth: 80 });
      expect(deep.map((h) => [h.id, h.score])).toEqual(plain.map((h) => [h.id, h.score]));
      const shallow = nested.search(enc, { k: 5, candidates: 80, coarseBudget: 2, coarseDepth: 10 });
      expect(shallow).toHaveLength(5);
      // Fine scores are full-budget MaxSim.
      for (const h of shallow) {
        const rec = nested.toRecord(h.id)!;
        const p = { data: new Float32Array(rec.multi), count: rec.multiCount, dim: DIM };
        expect(h.signals.multi!.score).toBeCloseTo(naiveMaxSim(enc.multi, p), 5);
      }
    }
    const accuracy = (o: object) =>
      queries.filter((q) => nested.search(q.enc, { mode: 'multi', k: 1, ...o })[0]!.id === q.want).length;
    expect(accuracy({ coarseBudget: 2, coarseDepth: 10 })).toBeGreaterThanOrEqual(accuracy({}) - 2);
  });

  it('coarseBudget 0: the coarse pass ranks by dense + sparse alone, and only its survivors get MaxSim', () => {
    const index = build({ multi: 'float32' }, docs);
    const w = { dense: 0.4, sparse: 0.2, multi: 0.4 };
    for (const { enc } of queries.slice(0, 10)) {
      const all = index.search(enc, { k: 50, candidates: 80, weights: { dense: w.dense, sparse: w.sparse, multi: 0 } });
      // Independent expectation: the 6 best by w·(dense, sparse) among the candidates, re-scored with all three signals.
      const survivors = new Set(all.slice(0, 6).map((h) => h.id));
      const got = index.search(enc, { k: 6, candidates: 80, coarseBudget: 0, coarseDepth: 6, weights: w });
      expect(new Set(got.map((h) => h.id))).toEqual(survivors);
      for (const h of got) {
        const s = h.signals;
        expect(h.score).toBeCloseTo(w.dense * s.dense!.score + w.sparse * s.sparse!.score + w.multi * s.multi!.score, 6);
      }
      const scores = got.map((h) => h.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    }
  });

  it('rejects bad options with INVALID_OPTION', () => {
    expect(() => new SearchIndex({ multiVectors: 'some' as 'all' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => new SearchIndex({ maxMultiVectors: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    const index = build({}, docs.slice(0, 3));
    expect(() => index.search(queries[0]!.enc, { coarseBudget: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => index.search(queries[0]!.enc, { coarseDepth: 1.5 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});
