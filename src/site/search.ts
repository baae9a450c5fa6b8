// One query against a static index → display-ready hits. Shared by the page's
// worker and the Node `query` command. Environment-free.
import { M3SearchError } from '../core/errors.js';
import type { Encoder } from '../core/encoder.js';
import { SiteIndexReader, type KeywordQueryOptions, type RankedPassage, type SiteMode, type SiteSearchOptions as ReaderOptions } from './query.js';
import { makeSnippet, queryTerms, type Snippet } from './snippet.js';
import type { Encoded } from '../core/types.js';

export interface SiteHit {
  passage: number;
  /** Page URL relative to the site root, with `#anchor` when the section has one. */
  url: string;
  title: string;
  heading: string;
  snippet: Snippet;
  score: number;
  signals: RankedPassage['signals'];
}

export interface SiteResults {
  query: string;
  mode: SiteMode;
  hits: SiteHit[];
  ms: number;
}

/** One query's options: the engine's search vocabulary plus what a site query needs. */
export interface SiteSearchOptions extends Omit<ReaderOptions, 'mode'> {
  /** 'keyword' needs nothing but the index; every other mode needs `encoder`, except on a doc-only index (`sparse`, `hybrid`: no model). */
  mode: SiteMode;
  /** The model the index was built with (any mode but 'keyword'). */
  encoder?: Pick<Encoder, 'encode'>;
  /** The keyword mode's query rules (as-you-type, typos, phrases, minimum match). */
  keyword?: KeywordQueryOptions;
  snippetLength?: number;
}

export async function searchSite(reader: SiteIndexReader, query: string, opts: SiteSearchOptions): Promise<SiteResults> {
  const t0 = performance.now();
  const k = opts.k ?? 10;
  const q = query.trim();
  if (!q) return { query, mode: opts.mode, hits: [], ms: 0 };
  let ranked: RankedPassage[];
  const { mode, encoder, keyword, snippetLength: _snippet, ...search } = opts;
  if (mode === 'keyword') {
    // Twice k: chunks of one section collapse to one hit below.
    ranked = await reader.keyword(q, 2 * k, keyword);
  } else {
    let enc: Encoded;
    if (reader.inferenceFree) {
      // Doc-only model: the query vector is built from the shipped vocabulary; no model runs.
      if (mode === 'dense' || mode === 'multi') {
        throw new M3SearchError('INVALID_OPTION', `This index was built with a doc-only model: it has only the sparse signal, not ${mode}.`, { mode });
      }
      const sparse = await reader.idfQuery(q);
      // No piece of the query occurs in the site: nothing can match (not an error, as a keyword query with no hits is not).
      if (sparse.ids.length === 0) return { query, mode: opts.mode, hits: [], ms: performance.now() - t0 };
      enc = { dense: new Float32Array(0), sparse, multi: { data: new Float32Array(0), count: 0, dim: 0 }, tokens: sparse.ids.length, truncated: false };
    } else {
      if (!encoder) throw new M3SearchError('NOT_READY', `The ${mode} mode needs the model, which has not loaded.`, { mode });
      enc = (await encoder.encode([q], { kind: 'query' }))[0]!;
    }
    // Twice k: chunks of one section collapse to one hit below.
    // First-stage and coarse depths follow the k asked for, not the doubled one (as in the engine).
    const depths = { candidates: search.candidates ?? Math.max(100, 10 * k), coarseDepth: search.coarseDepth ?? Math.max(30, 3 * k) };
    ranked = await reader.search(enc, { ...search, ...depths, mode, k: 2 * k });
  }
  ranked = await onePerLink(reader, ranked, k);
  const metas = await reader.meta(ranked.map((r) => r.passage));
  const terms = queryTerms(q);
  const hits = ranked.map((r, i): SiteHit => {
    const m = metas[i]!;
    return {
      passage: r.passage,
      url: m.anchor ? `${m.url}#${m.anchor}` : m.url,
      title: m.title,
      heading: m.heading,
      snippet: makeSnippet(m.text, terms, opts.snippetLength),
      score: r.score,
      signals: r.signals,
    };
  });
  return { query, mode: opts.mode, hits, ms: performance.now() - t0 };
}

/** Chunks of one long section share a link: show the best-ranked one only. */
async function onePerLink(reader: SiteIndexReader, ranked: RankedPassage[], k: number): Promise<RankedPassage[]> {
  const metas = await reader.meta(ranked.map((r) => r.passage));
  const seen = new Set<string>();
  return ranked.filter((_, i) => {
    const link = `${metas[i]!.url}#${metas[i]!.anchor}`;
    if (seen.has(link)) return false;
    seen.add(link);
    return true;
  }).slice(0, k);
}
