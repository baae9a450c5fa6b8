// The one ranking path. Every surface — the in-memory SearchIndex, the
// IndexedDB-backed browser search and the static-site reader — ranks through
// `rankSteps`: first stage (dense top-N ∪ sparse top-N), optional coarse pass,
// then every candidate scored by every signal (./signal-table.ts) and fused
// (./fusion.ts). A source only decides where vectors come from.
//
// Ranking is a generator so one code path serves both kinds of source: it
// yields a `RankNeed` before it first scores token vectors of some slots, and
// an async source (static-site shards) fetches them before resuming, while an
// in-memory source resumes at once (`rankNow`).

import { M3SearchError } from './errors.js';
import { rrfScore, weightedScore } from './fusion.js';
import type { MaxSimOptions } from './multi-index.js';
import type { ResolvedSearch } from './options.js';
import { nestMultiVectors } from './nested.js';
import { prepareQuery, type IndexDims, type PreparedQuery } from './query.js';
import { buildSignalTable, ranksAt, scoresAt, type Scorers, type SignalTable } from './signal-table.js';
import type { SlotHit, SlotSearchOptions } from './slots.js';
import { TopK } from './topk.js';
import type { Encoded, Mode, SparseVector } from './types.js';

/** Where ranking reads vectors from. Slots are the source's own document numbers. */
export interface RankSource {
  /** Multi-vector dimension (0 when no document has token vectors). */
  readonly multiDim: number;
  /** Exact top-n slots by dense dot product. */
  denseTop(q: Float32Array, n: number, opts: SlotSearchOptions): SlotHit[];
  /** Exact top-n slots by sparse dot product (slots sharing no id are absent). */
  sparseTop(q: SparseVector, n: number, opts: SlotSearchOptions): SlotHit[];
  /** Every live slot, for queries with token vectors only. */
  allSlots(): Iterable<number>;
  /** One scorer per signal the query can feed; `multi` may be called only for slots a `RankNeed` announced. */
  scorers(q: PreparedQuery, ms: MaxSimOptions): Scorers;
}

/** Token vectors of these slots are about to be scored. */
export interface RankNeed {
  multi: readonly number[];
}

/** The candidates' signal table and the chosen rows of it, best first. */
export interface Ranking {
  table: SignalTable;
  hits: { row: number; score: number }[];
}

/** How a slot is ranked: which slots may appear, and the tie-break key (smaller first). */
export interface RankContext {
  accept?: (slot: number) => boolean;
  order: (slot: number) => number;
}

/**
 * Ranks for one prepared query. The value sent back for a `RankNeed` says
 * whether the token vectors could be had: `false` drops the multi signal
 * (its weight contributes nothing) rather than failing the search.
 */
export function* rankSteps(src: RankSource, q: PreparedQuery, o: ResolvedSearch, ctx: RankContext): Generator<RankNeed, Ranking, boolean | undefined> {
  const { accept, order } = ctx;
  const ms: MaxSimOptions = { budget: o.multiVectorBudget, queryBudget: o.queryVectorBudget };
  let scorers = src.scorers(q, ms);
  /** Announces token-vector reads; drops the multi scorer when the source could not load them. */
  function* withMulti(slots: readonly number[], s: Scorers): Generator<RankNeed, Scorers, boolean | undefined> {
    if (s.multi === undefined || slots.length === 0) return s;
    const ok = yield { multi: slots };
    return ok === false ? withoutMulti(s) : s;
  }

  if (o.mode === 'dense' || o.mode === 'sparse') {
    const top =
      o.mode === 'dense'
        ? src.denseTop(q.dense ?? fail(emptyQuery('dense')), o.k, { accept, order })
        : src.sparseTop(q.sparse ?? fail(emptyQuery('sparse')), o.k, { accept, order });
    const slots = top.map((h) => h.slot);
    scorers = yield* withMulti(slots, scorers);
    const table = buildSignalTable(slots, order, scorers);
    return { table, hits: top.map((h, row) => ({ row, score: h.score })) };
  }

  if (o.mode === 'multi' && src.multiDim === 0) {
    throw new M3SearchError('INVALID_OPTION', "mode 'multi' needs token vectors, but no indexed document has any.", { mode: 'multi' });
  }
  if (o.mode === 'multi' && q.multi === undefined) throw emptyQuery('multi');
  if (q.dense === undefined && q.sparse === undefined && q.multi === undefined) throw emptyQuery('hybrid');

  let slots = firstStage(src, q, o, ctx);
  if (o.coarseBudget !== undefined && q.multi !== undefined && slots.length > o.coarseDepth) {
    // Coarse pass: every candidate scored cheaply (a few stored vectors each, or none at
    // all with coarseBudget 0); only the best coarseDepth go on to the full scoring.
    let cheap: Scorers = o.coarseBudget === 0 ? withoutMulti(scorers) : src.scorers(q, { budget: o.coarseBudget, queryBudget: o.queryVectorBudget });
    cheap = yield* withMulti(slots, cheap);
    const coarse = buildSignalTable(slots, order, cheap);
    const keep = new TopK(o.coarseDepth);
    for (let i = 0; i < coarse.slots.length; i++) keep.push(i, finalScore(coarse, i, o.mode, o), coarse.orders[i]!);
    slots = keep.results().map((r) => coarse.slots[r.id]!);
  }
  scorers = yield* withMulti(slots, scorers);
  const table = buildSignalTable(slots, order, scorers);
  const top = new TopK(o.k);
  for (let i = 0; i < table.slots.length; i++) top.push(i, finalScore(table, i, o.mode, o), table.orders[i]!);
  return { table, hits: top.results().map((r) => ({ row: r.id, score: r.score })) };
}

/**
 * The query as ranking uses it: validated against the index's dimensions
 * (./query.ts), and on a `nested` index with `queryVectorBudget` set, its
 * token vectors reduced the same way as the passages', so that its first n
 * rows summarize it.
 */
export function prepareRankQuery(query: Encoded, dims: IndexDims, nested: boolean, o: ResolvedSearch): PreparedQuery {
  if (o.mode === 'keyword') {
    throw new M3SearchError('INVALID_OPTION', "mode 'keyword' ranks with a keyword index (M3Search, a static site), not with vectors.", { mode: 'keyword' });
  }
  const q = prepareQuery(query, dims);
  if (q.multi !== undefined && nested && o.queryVectorBudget !== undefined && o.queryVectorBudget < q.multi.count) {
    q.multi = nestMultiVectors(q.multi, o.queryVectorBudget);
  }
  return q;
}

/** Runs `rankSteps` against a source that holds every vector in memory. */
export function rankNow(src: RankSource, q: PreparedQuery, o: ResolvedSearch, ctx: RankContext): Ranking {
  const steps = rankSteps(src, q, o, ctx);
  for (let r = steps.next(); ; r = steps.next(true)) if (r.done) return r.value;
}

/** Runs `rankSteps`, letting `load` fetch token vectors before they are scored (false: unavailable). */
export async function rankLoading(
  src: RankSource,
  q: PreparedQuery,
  o: ResolvedSearch,
  ctx: RankContext,
  load: (need: RankNeed) => Promise<boolean>,
): Promise<Ranking> {
  const steps = rankSteps(src, q, o, ctx);
  let r = steps.next();
  while (!r.done) r = steps.next(await load(r.value));
  return r.value;
}

/**
 * Candidate `i`'s fused score: the multi signal alone in multi mode (when the
 * table has it), else weights as given (weighted sum of raw scores) or RRF.
 */
function finalScore(t: SignalTable, i: number, mode: Mode, o: ResolvedSearch): number {
  const multi = t.scores.multi;
  if (mode === 'multi' && multi !== undefined) return multi[i]!;
  return o.fusion === 'rrf' ? rrfScore(ranksAt(t, i), o.weights, o.rrfK) : weightedScore(scoresAt(t, i), o.weights);
}

/**
 * First stage: dense top-N ∪ sparse top-N (filtered). With neither query
 * part present (only token vectors), every accepted document is a candidate.
 */
function firstStage(src: RankSource, q: PreparedQuery, o: ResolvedSearch, { accept, order }: RankContext): number[] {
  if (q.dense === undefined && q.sparse === undefined) {
    const all: number[] = [];
    for (const slot of src.allSlots()) if (accept === undefined || accept(slot)) all.push(slot);
    return all;
  }
  const seen = new Set<number>();
  if (q.dense !== undefined) for (const h of src.denseTop(q.dense, o.candidates, { accept, order })) seen.add(h.slot);
  if (q.sparse !== undefined) for (const h of src.sparseTop(q.sparse, o.candidates, { accept, order })) seen.add(h.slot);
  return [...seen];
}

function withoutMulti(s: Scorers): Scorers {
  const { multi: _multi, ...rest } = s;
  return rest;
}

function fail(e: Error): never {
  throw e;
}

export function emptyQuery(mode: Mode): M3SearchError {
  const what = mode === 'hybrid' ? 'no usable dense, sparse or multi-vector part' : `no usable ${mode} part`;
  return new M3SearchError('EMPTY_QUERY', `The query has ${what} (empty or all zero), so ${mode} search cannot rank documents.`, {
    mode,
  });
}
