// The demo's keyword mode: BM25 over the passages' words, built in the page
// from the corpus it indexes. It needs no model, so it ranks meaningfully even
// with the generated test model (whose sparse signal matches sub-word pieces,
// and whose dense and multi-vector scores are noise), and it answers "no
// results" when no passage contains a word of the query.
import { bm25Idf, bm25TermWeight, DEFAULT_BM25 } from '../core/bm25.js';
import type { Doc, Hit } from '../browser/index.js';

/** A keyword hit: the query words the passage contains. */
export interface KeywordHit extends Hit {
  matched: string[];
}

// Scripts written without spaces: index overlapping character pairs instead of words.
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]/u;

/** Lower-cased words (letters with their combining marks, digits); CJK runs become character bigrams. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const [run] of text.normalize('NFKC').toLowerCase().matchAll(/[\p{L}\p{M}\p{N}]+/gu)) {
    if (!UNSPACED.test(run)) {
      out.push(run);
      continue;
    }
    const chars = [...run];
    if (chars.length === 1) out.push(run);
    for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
  }
  return out;
}

export class KeywordIndex {
  private readonly docs: Doc[] = [];
  private readonly tfs: Map<string, number>[] = [];
  private readonly lengths: number[] = [];
  private readonly df = new Map<string, number>();
  private totalLength = 0;

  constructor(docs: readonly Doc[]) {
    for (const doc of docs) {
      const tf = new Map<string, number>();
      const ws = words(`${doc.title ?? ''} ${doc.text}`);
      for (const w of ws) tf.set(w, (tf.get(w) ?? 0) + 1);
      for (const w of tf.keys()) this.df.set(w, (this.df.get(w) ?? 0) + 1);
      this.docs.push(doc);
      this.tfs.push(tf);
      this.lengths.push(ws.length);
      this.totalLength += ws.length;
    }
  }

  get size(): number {
    return this.docs.length;
  }

  /** Passages containing at least one query word, best BM25 first; empty when none does. */
  search(query: string, k = 10): KeywordHit[] {
    const terms = [...new Set(words(query))].filter((w) => this.df.has(w));
    if (terms.length === 0) return [];
    const n = this.docs.length;
    const avg = this.totalLength / n;
    const hits: KeywordHit[] = [];
    this.docs.forEach((doc, i) => {
      let score = 0;
      const matched: string[] = [];
      for (const t of terms) {
        const tf = this.tfs[i]!.get(t);
        if (!tf) continue;
        score += bm25Idf(n, this.df.get(t)!) * bm25TermWeight(tf, this.lengths[i]!, avg, DEFAULT_BM25);
        matched.push(t);
      }
      if (matched.length) hits.push({ id: doc.id, score, doc, signals: {}, matched });
    });
    hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    return hits.slice(0, k);
  }
}
