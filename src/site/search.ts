// One query against a static index → display-ready hits. Shared by the page's
// worker and the Node `query` command. Environment-free.
import { lexicalTokenIds, type LexicalTokenizer } from '../core/lexical-index.js';
import type { Encoded } from '../core/types.js';
import { SiteIndexReader, type RankedPassage, type SiteMode } from './query.js';
import { makeSnippet, queryTerms, type Snippet } from './snippet.js';

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

export interface SiteSearchOptions {
  mode: SiteMode;
  k?: number;
  tokenizer: LexicalTokenizer;
  /** Needed for the hybrid mode. */
  encoder?: { encode(texts: readonly string[], opts?: { kind?: 'query' | 'passage' }): Promise<Encoded[]> };
  snippetLength?: number;
  /** Nested indexes only: multi-vector rows scored per passage (see HybridOptions.multiBudget). */
  multiBudget?: number;
}

export async function searchSite(reader: SiteIndexReader, query: string, opts: SiteSearchOptions): Promise<SiteResults> {
  const t0 = performance.now();
  const k = opts.k ?? 10;
  const q = query.trim();
  if (!q) return { query, mode: opts.mode, hits: [], ms: 0 };
  let ranked: RankedPassage[];
  if (opts.mode === 'hybrid') {
    if (!opts.encoder) throw new Error('the hybrid mode needs the encoder');
    const [enc] = await opts.encoder.encode([q], { kind: 'query' });
    ranked = await reader.hybrid(enc!, { k: 2 * k, multiBudget: opts.multiBudget });
  } else {
    ranked = await reader.lexical(lexicalTokenIds(opts.tokenizer, q), 2 * k);
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
