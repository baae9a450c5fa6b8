// The engine's keyword mode (issue 14): the model-free analyzer's BM25 over the
// engine's own entries, with no encoder call, kept in step with every write
// after the first keyword query, and the same answer as a KeywordIndex built
// directly over the same documents.
import { describe, expect, it } from 'vitest';
import { Analyzer } from '../../src/core/analyzer.js';
import type { Encoder } from '../../src/core/encoder.js';
import { KeywordIndex } from '../../src/core/keyword-index.js';
import { SearchIndex } from '../../src/core/search-index.js';
import { loadStemmers } from '../../src/core/stemmers.js';
import type { Doc, Encoded } from '../../src/core/types.js';
import { M3Search } from '../../src/engine/engine.js';

/** Every text gets the same vectors: only the keyword mode can tell documents apart. */
function flatEncoder(): Encoder & { calls: number } {
  const enc = {
    calls: 0,
    info: { modelId: 'test/flat', fingerprint: 'flat-1', maxLength: 512, denseDim: 2, multiDim: 2, sparseStyle: 'lexical' as const, hasMulti: true },
    tokenizer: { ids: (t: string): number[] => t.split(/\s+/).filter(Boolean).map((_, i) => i + 5), specialIds: new Set<number>() },
    async encode(texts: readonly string[]): Promise<Encoded[]> {
      enc.calls++;
      return texts.map(() => ({
        dense: Float32Array.of(1, 0),
        sparse: { ids: Uint32Array.of(5), weights: Float32Array.of(1) },
        multi: { data: Float32Array.of(1, 0), count: 1, dim: 2 },
        tokens: 3,
        truncated: false,
      }));
    },
  };
  return enc;
}

const DOCS: Doc[] = [
  { id: 'cats', title: 'Cats', text: 'Cats are small carnivorous mammals that sleep most of the day.' },
  { id: 'dogs', title: 'Dogs', text: 'Dogs were the first species to be domesticated by humans.' },
  { id: 'birds', title: 'Birds', text: 'Birds are warm-blooded vertebrates; many species migrate in winter.' },
  { id: 'fish', title: 'Fish', text: 'Fish live in water and breathe with gills; a few species sleep with open eyes.' },
];

describe('M3Search keyword mode', () => {
  it('ranks by the analyzer without encoding the query, as a KeywordIndex over the same documents does', async () => {
    const encoder = flatEncoder();
    const engine = new M3Search(encoder);
    await engine.add(DOCS);
    const before = encoder.calls;
    const hits = await engine.search('sleeping species', { mode: 'keyword', k: 4 });
    expect(encoder.calls).toBe(before);
    const reference = new KeywordIndex(new Analyzer({ language: 'en', stemmers: await loadStemmers('en') }));
    for (const d of DOCS) reference.add({ id: d.id, text: d.text, title: d.title });
    const want = reference.search('sleeping species', 4);
    expect(hits.map((h) => [h.id, h.score])).toEqual(want.map((h) => [h.id, h.score]));
    // "sleeping" stems to "sleep": cats and fish hold both words and come first.
    expect(hits.slice(0, 2).map((h) => h.id).sort()).toEqual(['cats', 'fish']);
    expect(hits[0]!.signals).toEqual({ keyword: { score: hits[0]!.score, rank: 1 } });
    expect(hits[0]!.doc).toEqual(DOCS.find((d) => d.id === hits[0]!.id));
    // Nonsense fails the minimum match: nothing, not the nearest noise.
    expect(await engine.search('xqzzv plorf', { mode: 'keyword' })).toEqual([]);
  });

  it('follows every write after the first keyword query: add, update, remove, clear', async () => {
    const engine = new M3Search(flatEncoder());
    await engine.add(DOCS);
    expect((await engine.search('gills', { mode: 'keyword' })).map((h) => h.id)).toEqual(['fish']);
    await engine.add([{ id: 'sharks', text: 'Sharks are fish with gills and a skeleton of cartilage.' }]);
    expect((await engine.search('gills', { mode: 'keyword' })).map((h) => h.id).sort()).toEqual(['fish', 'sharks']);
    await engine.add([{ id: 'fish', title: 'Fish', text: 'Fish live in water.' }]);
    expect((await engine.search('gills', { mode: 'keyword' })).map((h) => h.id)).toEqual(['sharks']);
    await engine.remove('sharks');
    expect(await engine.search('gills', { mode: 'keyword' })).toEqual([]);
    await engine.clear();
    await engine.add([{ id: 'n', text: 'gills again' }]);
    expect((await engine.search('gills', { mode: 'keyword' })).map((h) => h.id)).toEqual(['n']);
  });

  it('applies the filter and k; a cancelled query rejects; a bad language is INVALID_OPTION', async () => {
    const engine = new M3Search(flatEncoder(), {}, { language: 'en' });
    await engine.add(DOCS);
    const hits = await engine.search('species', { mode: 'keyword', k: 1, filter: (d) => d.id !== 'birds' });
    expect(hits).toHaveLength(1);
    expect(hits[0]!.id).not.toBe('birds');
    const ctl = new AbortController();
    ctl.abort();
    await expect(engine.search('species', { mode: 'keyword', signal: ctl.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(() => new M3Search(flatEncoder(), {}, { language: '<script>' })).toThrow(/language must be a language code/);
  });

  it('SearchIndex (vectors only) refuses the keyword mode by name', () => {
    const index = new SearchIndex();
    const q: Encoded = { dense: Float32Array.of(1, 0), sparse: { ids: new Uint32Array(0), weights: new Float32Array(0) }, multi: { data: Float32Array.of(1, 0), count: 1, dim: 2 }, tokens: 1, truncated: false };
    index.add({ id: 'a', text: 'a' }, q);
    expect(() => index.search(q, { mode: 'keyword' })).toThrow(/mode 'keyword' ranks with a keyword index/);
  });
});
