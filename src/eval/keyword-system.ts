// The keyword system for the evaluation: the core's model-free analyzer and
// keyword index (src/core/analyzer.ts, keyword-index.ts), language detected
// from a sample of the corpus as a site without a `lang` would be.
import { Analyzer, detectLanguage, type AnalyzerOptions } from '../core/analyzer.js';
import { M3SearchError } from '../core/errors.js';
import { KeywordIndex, type KeywordIndexOptions } from '../core/keyword-index.js';
import { loadStemmers } from '../core/stemmers.js';
import type { System } from './run.js';

export interface KeywordSystemOptions {
  name?: string;
  /** The corpus language; default detected from the first 200 documents. */
  language?: string;
  analyzer?: Omit<AnalyzerOptions, 'language' | 'stemmers'> & { stem?: boolean };
  index?: KeywordIndexOptions;
}

/** Keyword search (analyzer + BM25 with prefix, typos, phrases, minimum match). */
export function keywordSystem(opts: KeywordSystemOptions = {}): System & { language(): string | undefined } {
  let index: KeywordIndex | undefined;
  let language: string | undefined;
  return {
    name: opts.name ?? 'keyword',
    language: () => language,
    async index(docs) {
      language = opts.language ?? detectLanguage(docs.slice(0, 200).map((d) => `${d.title ?? ''} ${d.text}`));
      const stemmers = opts.analyzer?.stem === false ? {} : await loadStemmers(language);
      const analyzer = new Analyzer({ ...opts.analyzer, language, stemmers });
      index = new KeywordIndex(analyzer, opts.index);
      for (const d of docs) index.add({ id: d.id, text: d.text, ...(d.title ? { title: d.title } : {}) });
    },
    async search(query, k) {
      if (!index) throw new M3SearchError('NOT_READY', 'keyword: index() first.');
      return index.search(query, k).map((h) => h.id);
    },
  };
}
