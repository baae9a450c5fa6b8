// Every string <m3-search> shows or announces, in one object so a page can
// translate it: `data-strings='{"noResults":"Aucun résultat pour « {query} »"}'`
// on the element, or `element.strings = {...}`. Unset keys keep the English
// default. `{name}` placeholders are filled in; anything else is shown as text.

export interface M3SearchStrings {
  /** Placeholder and accessible name of the input (the `placeholder` attribute wins). */
  placeholder: string;
  /** The count line and its announcement: `{count}` pages matched `{query}`. */
  resultsOne: string;
  resultsMany: string;
  noResults: string;
  /** Label of the results list (screen readers). */
  listLabel: string;
  modeHybrid: string;
  modeKeyword: string;
  /** A doc-only (inference-free) index's learned-sparse answer: no model in the page. */
  modeSparse: string;
  modeHybridTitle: string;
  modeKeywordTitle: string;
  modeSparseTitle: string;
  offlineCopy: string;
  modelLoading: string;
  /** The button offering the model (`data-model-load="on-request"`); `{size}` is e.g. "18.7 MB", or '' when unknown. */
  modelOffer: string;
  /** `{loaded}` and `{total}` are sizes such as "3.2 MB"; `{progress}` is "3.2 MB / 10.0 MB". */
  modelProgress: string;
  /** `{message}`: the runtime's reason, in English. */
  keywordOnly: string;
  unavailable: string;
  workerCrashed: string;
  searchFailed: string;
  /** Shown when the index was built with the generated test model (its vectors are noise). */
  testModel: string;
}

export const DEFAULT_STRINGS: Readonly<M3SearchStrings> = Object.freeze({
  placeholder: 'Search',
  resultsOne: '1 result for “{query}”',
  resultsMany: '{count} results for “{query}”',
  noResults: 'No results for “{query}”',
  listLabel: 'Search results',
  modeHybrid: 'hybrid',
  modeKeyword: 'keyword',
  modeHybridTitle: 'Ranked by the semantic model (dense + sparse + multi-vector)',
  modeKeywordTitle: 'Keyword (BM25) ranking; the semantic model is not loaded yet',
  modeSparse: 'learned sparse',
  modeSparseTitle: 'Ranked by learned term weights stored in the index (no model in the page)',
  offlineCopy: 'Offline: searching the saved copy of the index.',
  modelLoading: 'Keyword results · loading the semantic model…',
  modelOffer: 'Better results with the semantic model {size}',
  modelProgress: 'Keyword results · loading the semantic model {progress}…',
  keywordOnly: 'Keyword results only: {message}',
  unavailable: 'Search is unavailable: {message}',
  workerCrashed: 'Search is unavailable: its worker did not start or stopped. Type to try again.',
  searchFailed: 'Search failed: {message}',
  testModel: 'This search index was built with the generated test model: results are for testing only.',
});

/** Defaults overlaid with the string-valued keys of `given` (unknown keys and non-strings are ignored). */
export function mergeStrings(given: unknown): M3SearchStrings {
  const out: M3SearchStrings = { ...DEFAULT_STRINGS };
  if (given && typeof given === 'object') {
    for (const key of Object.keys(DEFAULT_STRINGS) as (keyof M3SearchStrings)[]) {
      const v = (given as Record<string, unknown>)[key];
      if (typeof v === 'string') out[key] = v;
    }
  }
  return out;
}

/** Fills `{name}` placeholders; a missing value leaves the placeholder as written. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? String(values[k]) : m));
}

/** The generated test model (scripts/test-model/ names it `m3search/tiny-test-<layout>`). */
export function isTestModel(id: string | undefined): boolean {
  return typeof id === 'string' && id.startsWith('m3search/tiny-test');
}
