// BM25 arithmetic and term bags. Pure: used by the lexical index in the page,
// in a Web Worker and in Node tools alike.
import { M3SearchError, type ErrorCode } from './errors.js';

export interface Bm25Params {
  /** Term-frequency saturation (0 = presence only). */
  k1: number;
  /** Length normalization strength (0 = none, 1 = full). */
  b: number;
}

/** The usual Robertson/Lucene defaults. */
export const DEFAULT_BM25: Readonly<Bm25Params> = Object.freeze({ k1: 1.2, b: 0.75 });

/** Fills in defaults and rejects values BM25 is not defined for. */
export function bm25Params(p: Partial<Bm25Params> = {}): Bm25Params {
  const k1 = p.k1 ?? DEFAULT_BM25.k1;
  const b = p.b ?? DEFAULT_BM25.b;
  if (!Number.isFinite(k1) || k1 < 0) throw new M3SearchError('INVALID_OPTION', `BM25 k1 must be a finite number ≥ 0, got ${k1}.`);
  if (!Number.isFinite(b) || b < 0 || b > 1) throw new M3SearchError('INVALID_OPTION', `BM25 b must be in [0, 1], got ${b}.`);
  return { k1, b };
}

/**
 * IDF = ln(1 + (N − df + 0.5) / (df + 0.5)). The "1 +" keeps it positive even
 * for terms in more than half the documents (Lucene's variant), so a common
 * term never pushes a document down.
 */
export function bm25Idf(docCount: number, df: number): number {
  return Math.log(1 + (docCount - df + 0.5) / (df + 0.5));
}

/** The query side of one term: its count in the query times its IDF (every BM25 scorer uses this). */
export function bm25QueryWeight(tf: number, docCount: number, df: number): number {
  return tf * bm25Idf(docCount, df);
}

/**
 * The document side of one term: tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl)).
 * Saturates in tf and favours shorter-than-average documents.
 */
export function bm25TermWeight(tf: number, docLength: number, avgDocLength: number, p: Bm25Params): number {
  // avgdl is 0 only when every document is empty, and then no term can match.
  const norm = avgDocLength > 0 ? docLength / avgDocLength : 1;
  return (tf * (p.k1 + 1)) / (tf + p.k1 * (1 - p.b + p.b * norm));
}

/** A bag of token ids: `ids` sorted ascending and unique, `tfs` their counts. */
export interface TermBag {
  ids: Uint32Array;
  tfs: Uint32Array;
  /** Sum of `tfs`: the text's length in tokens. */
  length: number;
}

/**
 * Counts token ids into a bag. Ids must be integers in [0, 2³²): anything else
 * is a caller bug, reported with `code` (documents and queries differ).
 */
export function termBag(tokenIds: ArrayLike<number>, code: ErrorCode = 'INVALID_OPTION'): TermBag {
  const n = tokenIds.length;
  const sorted = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const t = tokenIds[i]!;
    if (!Number.isInteger(t) || t < 0 || t > 0xffffffff) {
      throw new M3SearchError(code, `Token ids must be integers in [0, 2^32), got ${t} at position ${i}.`);
    }
    sorted[i] = t;
  }
  sorted.sort();
  let unique = 0;
  for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) unique++;
  const ids = new Uint32Array(unique);
  const tfs = new Uint32Array(unique);
  let j = -1;
  for (let i = 0; i < n; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) ids[++j] = sorted[i]!;
    tfs[j]++;
  }
  return { ids, tfs, length: n };
}
