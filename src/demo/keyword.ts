// The demo's keyword mode: the core's keyword index (the model-free analyzer,
// BM25, as-you-type, typos, phrases, minimum match: src/core/keyword-index.ts,
// the same rules a static site's pages apply), built in the page from the
// corpus it indexes. It needs no model, so it ranks meaningfully even with the
// generated test model, and it answers "no results" when a query's words are
// not in the corpus.
import { Analyzer, detectLanguage } from '../core/analyzer.js';
import { KeywordIndex as CoreKeywordIndex } from '../core/keyword-index.js';
import { loadStemmers } from '../core/stemmers.js';
import type { Doc, Hit } from '../browser/index.js';

/** A keyword hit: the query's words the passage contains. */
export interface KeywordHit extends Hit {
  matched: string[];
}

export class KeywordIndex {
  private constructor(
    private readonly index: CoreKeywordIndex,
    private readonly docs: ReadonlyMap<string, Doc>,
  ) {}

  /** Analyzes `docs` in their detected language (its stemmer is a small module loaded here). */
  static async build(docs: readonly Doc[]): Promise<KeywordIndex> {
    const language = detectLanguage(docs.slice(0, 200).map((d) => d.text));
    const index = new CoreKeywordIndex(new Analyzer({ language, stemmers: await loadStemmers(language) }));
    for (const d of docs) index.add({ id: d.id, text: d.text, title: d.title });
    return new KeywordIndex(index, new Map(docs.map((d) => [d.id, d])));
  }

  get size(): number {
    return this.docs.size;
  }

  /** Best BM25 first; empty when the query fails the minimum match (nonsense, or words the corpus lacks). */
  search(query: string, k = 10): KeywordHit[] {
    const analyzer = this.index.analyzer;
    const words = analyzer.words(query);
    return this.index.search(query, k).map(({ id, score }) => {
      const doc = this.docs.get(id)!;
      const own = new Set(analyzer.terms(`${doc.title ?? ''} ${doc.text}`));
      const matched = words.filter((w) => w.terms.some((t) => own.has(t))).map((w) => w.surface);
      return { id, score, doc, signals: {}, matched: [...new Set(matched)] };
    });
  }
}
