// The one ranking path (src/core/rank.ts) against a hand-made source whose
// per-slot scores are written out here, so every expectation is worked by
// hand: which slots reach the table, what each pass asks the source for, the
// coarse pass's cut, the errors for missing query parts, and the nested
// query's reduction. The surfaces' own tests rank through this file too; these
// reach the branches they leave alone (mutation testing, issue #18).
import { describe, expect, it } from 'vitest';
import type { MaxSimOptions } from '../../src/core/multi-index.js';
import { resolveSearchOptions } from '../../src/core/options.js';
import type { PreparedQuery } from '../../src/core/query.js';
import { emptyQuery, prepareRankQuery, rankLoading, rankNow, rankSteps, type RankContext, type RankSource } from '../../src/core/rank.js';
import type { Scorers } from '../../src/core/signal-table.js';
import type { SlotHit, SlotSearchOptions } from '../../src/core/slots.js';
import type { Encoded, MultiVector, SearchOptions } from '../../src/core/types.js';
import { caught } from './helpers.js';

/** Per-slot scores of each signal; slot i's multi score is multi[i] at full budget, cheap[i] at a smaller one. */
interface Table {
  dense: number[];
  sparse: number[];
  multi: number[];
  cheap: number[];
}

/** A source over `t` that records what ranking asked of it. */
function source(t: Table, multiDim = 4) {
  const calls: { scorers: MaxSimOptions[]; multiSlots: number[]; denseN: number[]; sparseN: number[] } = { scorers: [], multiSlots: [], denseN: [], sparseN: [] };
  const top = (scores: number[], n: number, opts: SlotSearchOptions): SlotHit[] =>
    scores
      .map((score, slot) => ({ slot, score }))
      .filter((h) => h.score > 0 && (opts.accept === undefined || opts.accept(h.slot)))
      .sort((a, b) => b.score - a.score || a.slot - b.slot)
      .slice(0, n);
  const src: RankSource = {
    multiDim,
    denseTop: (_q, n, opts) => (calls.denseN.push(n), top(t.dense, n, opts)),
    sparseTop: (_q, n, opts) => (calls.sparseN.push(n), top(t.sparse, n, opts)),
    allSlots: () => t.dense.keys(),
    scorers: (q: PreparedQuery, ms: MaxSimOptions): Scorers => {
      calls.scorers.push(ms);
      const s: Scorers = {};
      if (q.dense) s.dense = (i) => t.dense[i]!;
      if (q.sparse) s.sparse = (i) => t.sparse[i]!;
      if (q.multi) {
        s.multi = (i) => {
          if (!Number.isInteger(i) || i < 0 || i >= t.multi.length) throw new Error(`multi scored for slot ${String(i)}`);
          calls.multiSlots.push(i);
          return ms.budget !== undefined ? t.cheap[i]! : t.multi[i]!;
        };
      }
      return s;
    },
  };
  return { src, calls };
}

const ctx: RankContext = { order: (slot) => slot };
const dense = new Float32Array([1, 0]);
const sparse = { ids: new Uint32Array([7]), weights: new Float32Array([1]) };
const multi: MultiVector = { data: new Float32Array([1, 0, 0, 0]), count: 1, dim: 4 };
const opts = (o: SearchOptions): ReturnType<typeof resolveSearchOptions> => resolveSearchOptions(o);
/** Slots of a ranking's hits, best first. */
const slotsOf = (r: ReturnType<typeof rankNow>): number[] => r.hits.map((h) => r.table.slots[h.row]!);

// Six documents. Dense and sparse agree that 0 and 1 lead; token vectors prefer 5, then 4.
const T: Table = {
  dense: [0.9, 0.8, 0.3, 0.2, 0.1, 0.05],
  sparse: [0.8, 0.9, 0.1, 0.0, 0.2, 0.1],
  multi: [0.1, 0.2, 0.3, 0.4, 0.8, 0.9],
  cheap: [0.9, 0.1, 0.1, 0.1, 0.1, 0.1],
};

describe('rankSteps: single-signal modes', () => {
  it('dense and sparse modes rank by their own top-k, and say which part the query lacks', () => {
    const { src, calls } = source(T);
    expect(slotsOf(rankNow(src, { dense }, opts({ mode: 'dense', k: 3 }), ctx))).toEqual([0, 1, 2]);
    expect(slotsOf(rankNow(src, { sparse }, opts({ mode: 'sparse', k: 2 }), ctx))).toEqual([1, 0]);
    expect(calls.denseN).toEqual([3]);
    expect(calls.sparseN).toEqual([2]);
    for (const mode of ['dense', 'sparse'] as const) {
      const e = caught(() => rankNow(src, { multi }, opts({ mode }), ctx));
      expect(e.code).toBe('EMPTY_QUERY');
      expect(e.message).toBe(`The query has no usable ${mode} part (empty or all zero), so ${mode} search cannot rank documents.`);
      expect(e.details).toEqual({ mode });
    }
  });

  it('multi mode ranks by token vectors alone; it needs them in the index and in the query', () => {
    const { src } = source(T);
    expect(slotsOf(rankNow(src, { dense, multi }, opts({ mode: 'multi', k: 2, candidates: 6 }), ctx))).toEqual([5, 4]);
    const none = caught(() => rankNow(source(T, 0).src, { dense, multi }, opts({ mode: 'multi' }), ctx));
    expect(none.code).toBe('INVALID_OPTION');
    expect(none.message).toBe("mode 'multi' needs token vectors, but no indexed document has any.");
    expect(none.details).toEqual({ mode: 'multi' });
    const noQuery = caught(() => rankNow(src, { dense }, opts({ mode: 'multi' }), ctx));
    expect(noQuery.code).toBe('EMPTY_QUERY');
    expect(noQuery.details).toEqual({ mode: 'multi' });
  });

  it('a hybrid query with no part at all is EMPTY_QUERY naming all three', () => {
    const e = caught(() => rankNow(source(T).src, {}, opts({}), ctx));
    expect(e.code).toBe('EMPTY_QUERY');
    expect(e.message).toBe('The query has no usable dense, sparse or multi-vector part (empty or all zero), so hybrid search cannot rank documents.');
    expect(e.details).toEqual({ mode: 'hybrid' });
    expect(emptyQuery('multi').message).toBe('The query has no usable multi part (empty or all zero), so multi search cannot rank documents.');
  });
});

describe('rankSteps: hybrid', () => {
  it('the first stage is dense top-N ∪ sparse top-N; a query of token vectors only takes every accepted slot', () => {
    const { src, calls } = source(T);
    // N = 2: dense {0, 1} ∪ sparse {1, 0}: only those two are scored, whatever their token vectors.
    const r = rankNow(src, { dense, sparse, multi }, opts({ k: 6, candidates: 2 }), ctx);
    expect([...r.table.slots].sort()).toEqual([0, 1]);
    expect(calls.denseN).toEqual([2]);
    expect(calls.sparseN).toEqual([2]);
    const all = rankNow(src, { multi }, opts({ k: 6 }), { ...ctx, accept: (s) => s % 2 === 0 });
    expect([...all.table.slots]).toEqual([0, 2, 4]);
    expect(slotsOf(all)).toEqual([4, 2, 0]);
  });

  it('the coarse pass cuts the candidates to coarseDepth by cheap scores, then scores the survivors in full', () => {
    const { src, calls } = source(T);
    const o = opts({ k: 6, candidates: 6, coarseBudget: 1, coarseDepth: 2, weights: { dense: 0, sparse: 0, multi: 1 } });
    const r = rankNow(src, { dense, sparse, multi }, o, ctx);
    // Cheap token scores keep 0 (0.9) and one of the 0.1s, the smallest slot (1); full scores then rank 1 (0.2) over 0 (0.1).
    expect(slotsOf(r)).toEqual([1, 0]);
    expect(r.hits.map((h) => h.score)).toEqual([0.2, 0.1].map((x) => expect.closeTo(x, 12)));
    expect(calls.scorers).toEqual([
      { budget: undefined, queryBudget: undefined },
      { budget: 1, queryBudget: undefined },
    ]);
    // Without the coarse pass all six are ranked, the full token scores first.
    expect(slotsOf(rankNow(source(T).src, { dense, sparse, multi }, opts({ k: 6, candidates: 6, weights: { dense: 0, sparse: 0, multi: 1 } }), ctx))).toEqual([5, 4, 3, 2, 1, 0]);
  });

  it('coarseBudget 0 cuts by dense and sparse alone, never reading a token vector for the cut', () => {
    const { src, calls } = source(T);
    const r = rankNow(src, { dense, sparse, multi }, opts({ k: 6, candidates: 6, coarseBudget: 0, coarseDepth: 3 }), ctx);
    // Default weights on dense + sparse alone: 0 and 1 lead, then 2 (0.3, 0.1) over 4 (0.1, 0.2).
    expect([...r.table.slots].sort()).toEqual([0, 1, 2]);
    expect(calls.multiSlots.sort()).toEqual([0, 1, 2]);
  });

  it('no coarse pass when the candidates already fit coarseDepth, or the query has no token vectors', () => {
    const a = source(T);
    rankNow(a.src, { dense, sparse, multi }, opts({ k: 6, candidates: 2, coarseBudget: 1, coarseDepth: 2 }), ctx);
    expect(a.calls.scorers).toHaveLength(1);
    const b = source(T);
    const r = rankNow(b.src, { dense, sparse }, opts({ k: 6, candidates: 6, coarseBudget: 1, coarseDepth: 2 }), ctx);
    expect(r.table.slots).toHaveLength(6);
    expect(b.calls.scorers).toHaveLength(1);
  });
});

describe('token vectors announced before they are scored', () => {
  it('rankSteps yields each pass\'s slots; rankNow and rankLoading answering true keep the multi signal', async () => {
    const { src } = source(T);
    const o = opts({ k: 6, candidates: 6, coarseBudget: 1, coarseDepth: 2 });
    const steps = rankSteps(src, { dense, sparse, multi }, o, ctx);
    const first = steps.next();
    expect(first.done).toBe(false);
    expect([...(first.value as { multi: number[] }).multi].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    const second = steps.next(true);
    expect(second.done).toBe(false);
    expect((second.value as { multi: number[] }).multi).toHaveLength(2);
    const done = steps.next(true);
    expect(done.done).toBe(true);

    const now = rankNow(src, { dense, sparse, multi }, o, ctx);
    expect(now.table.scores.multi).toBeDefined();
    const needs: number[][] = [];
    const loaded = await rankLoading(src, { dense, sparse, multi }, o, ctx, async (need) => (needs.push([...need.multi]), true));
    expect(needs.map((n) => n.length)).toEqual([6, 2]);
    expect(slotsOf(loaded)).toEqual(slotsOf(now));
  });

  it('a source that cannot load them drops the multi signal (its weight adds nothing), not the search', async () => {
    const { src, calls } = source(T);
    const r = await rankLoading(src, { dense, sparse, multi }, opts({ k: 2, candidates: 6 }), ctx, async () => false);
    expect(r.table.scores.multi).toBeUndefined();
    expect(calls.multiSlots).toEqual([]);
    expect(slotsOf(r)).toEqual([0, 1]);
  });
});

describe('prepareRankQuery', () => {
  const q3: Encoded = {
    dense: new Float32Array([1, 0, 0, 0]),
    sparse: { ids: new Uint32Array(0), weights: new Float32Array(0) },
    multi: { data: new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]), count: 3, dim: 4 },
    tokens: 3,
    truncated: false,
  };
  const dims = { dense: 4, multi: 4 };

  it('refuses keyword mode by name', () => {
    const e = caught(() => prepareRankQuery(q3, dims, false, opts({ mode: 'keyword' })));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.details).toEqual({ mode: 'keyword' });
  });

  it('reduces the query\'s token vectors to queryVectorBudget rows only on a nested index and only when it has more', () => {
    expect(prepareRankQuery(q3, dims, true, opts({ queryVectorBudget: 2 })).multi!.count).toBe(2);
    expect(prepareRankQuery(q3, dims, false, opts({ queryVectorBudget: 2 })).multi!.count).toBe(3);
    for (const budget of [3, 4]) {
      const m = prepareRankQuery(q3, dims, true, opts({ queryVectorBudget: budget })).multi!;
      expect(m.count).toBe(3);
      expect([...m.data]).toEqual([...q3.multi!.data]);
    }
  });
});
