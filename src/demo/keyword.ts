// The demo's keyword mode: BM25 over the passages' words, built in the page
// from the corpus it indexes. It needs no model, so it ranks meaningfully even
// with the generated test model (whose sparse signal matches sub-word pieces,
// and whose dense and multi-vector scores are noise), and it answers "no
// results" when no passage contains a word of the query.
import { LexicalIndex } from '../core/lexical-index.js';
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

/**
 * The core's BM25 (LexicalIndex, the same scorer as the tokenizer-only lexical
 * mode) over word ids: each distinct word gets a number the first time it is seen.
 */
export class KeywordIndex {
  private readonly index = new LexicalIndex();
  private readonly docs = new Map<string, Doc>();
  private readonly vocab = new Map<string, number>();

  constructor(docs: readonly Doc[]) {
    for (const doc of docs) {
      const ids = words(`${doc.title ?? ''} ${doc.text}`).map((w) => this.idOf(w, true)!);
      this.index.add(doc.id, ids);
      this.docs.set(doc.id, doc);
    }
  }

  get size(): number {
    return this.docs.size;
  }

  /** Passages containing at least one query word, best BM25 first; empty when none does. */
  search(query: string, k = 10): KeywordHit[] {
    const terms = [...new Set(words(query))].filter((w) => this.vocab.has(w));
    if (terms.length === 0) return [];
    return this.index.search(terms.map((w) => this.idOf(w, false)!), k).map(({ id, score }) => {
      const doc = this.docs.get(id)!;
      const own = new Set(words(`${doc.title ?? ''} ${doc.text}`));
      return { id, score, doc, signals: {}, matched: terms.filter((t) => own.has(t)) };
    });
  }

  private idOf(word: string, add: boolean): number | undefined {
    let id = this.vocab.get(word);
    if (id === undefined && add) this.vocab.set(word, (id = this.vocab.size));
    return id;
  }
}
