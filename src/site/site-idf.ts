// The idf of a site's own passages, for an inference-free query side on a
// model that publishes no idf table (BGE-M3's lexical head): BM25's idf,
// ln(1 + (N − df + 0.5) / (df + 0.5)), over token ids, where N is the number
// of passages and df the number whose stored sparse vector has the id — the
// length of its posting list. Counting postings rather than re-tokenizing the
// passages gives the table exactly over what a query can meet (an id the head
// weights 0 in a passage cannot score there), costs no second pass over the
// text, and covers passages reused from a previous build or the encode cache.
import { bm25Idf } from '../core/bm25.js';
import type { StoredVectors } from './types.js';

/** Token id → idf weight (always > 0) for every id with postings. */
export function siteIdf(vectors: readonly Pick<StoredVectors, 'sparse'>[]): Map<number, number> {
  const df = new Map<number, number>();
  for (const v of vectors) for (const id of v.sparse.ids) df.set(id, (df.get(id) ?? 0) + 1);
  const n = vectors.length;
  const idf = new Map<number, number>();
  for (const [id, d] of df) idf.set(id, bm25Idf(n, d));
  return idf;
}
