// A doc-only ("inference-free") site read back without any model: the page
// builds the query vector from the shipped tokenizer and vocabulary shards
// (idf per token id) and ranks by the sparse signal alone. Built with a
// stand-in encoder over the generated doc-only model's WordPiece tokenizer and
// idf table (no ONNX, so the suite runs against every mutant of the reader):
// each passage's sparse vector is weight 1 per distinct token id, so a
// passage's score is the sum of the query's idf over the ids they share,
// computed here from the tokenizer and idf.json directly.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Encoder } from '../../src/core/encoder.js';
import type { Doc, Encoded } from '../../src/core/types.js';
import { parseIdf } from '../../src/model/splade-query.js';
import { createTokenizer, type JsonObject, type M3Tokenizer } from '../../src/model/tokenizer.js';
import { buildSiteIndex } from '../../src/site/build.js';
import { openIndexDir } from '../../src/site/node-reader.js';
import type { SiteIndexReader } from '../../src/site/query.js';
import { searchSite } from '../../src/site/search.js';
import { testModel } from '../helpers/test-model.js';

const DOCS: Doc[] = [
  { id: 'cache', title: 'Caching', text: 'A service worker caches the pages of a site so they open offline.' },
  { id: 'river', title: 'Rivers', text: 'The river flows through the city towards the sea.' },
  { id: 'music', title: 'Music', text: 'Rhythm and melody make music; the drum keeps the rhythm.' },
  { id: 'bread', title: 'Bread', text: 'Flour, water, salt and yeast make bread rise in a warm oven.' },
];

let dir: string;
let reader: SiteIndexReader;
let tokenizer: M3Tokenizer;
let idf: ReadonlyMap<string, number>;

/** Distinct non-special token ids of a text. */
const idsOf = (text: string): number[] => [...new Set(tokenizer.ids(text, { special: false }).filter((id) => !tokenizer.specialIds.has(id)))].sort((a, b) => a - b);

/** Σ idf over the ids the query shares with the passage (passage weight 1 per id). */
function expectedScore(query: string, text: string): number {
  const passage = new Set(idsOf(text));
  let s = 0;
  for (const id of idsOf(query)) if (passage.has(id)) s += idf.get(tokenizer.token(id)!) ?? 0;
  return s;
}

beforeAll(async () => {
  const folder = (await testModel()).docOnly;
  const json = JSON.parse(await readFile(path.join(folder, 'tokenizer.json'), 'utf8')) as JsonObject;
  const config = JSON.parse(await readFile(path.join(folder, 'tokenizer_config.json'), 'utf8')) as JsonObject;
  tokenizer = createTokenizer(json, config);
  idf = parseIdf(JSON.parse(await readFile(path.join(folder, 'idf.json'), 'utf8')));
  const encoder: Encoder = {
    info: { modelId: 'test/doc-only-stand-in', fingerprint: 'doc-only-stand-in-1', maxLength: 512, denseDim: 0, multiDim: 0, sparseStyle: 'splade', hasMulti: false },
    tokenizer: { ids: (t, o) => tokenizer.ids(t, o), specialIds: tokenizer.specialIds },
    idfQuery: { idf, tokenizerJson: json, tokenizerConfig: config },
    async encode(texts): Promise<Encoded[]> {
      return texts.map((t) => {
        const ids = idsOf(t);
        return { dense: new Float32Array(0), sparse: { ids: Uint32Array.from(ids), weights: new Float32Array(ids.length).fill(1) }, multi: { data: new Float32Array(0), count: 0, dim: 0 }, tokens: ids.length, truncated: false };
      });
    },
  };
  dir = await mkdtemp(path.join(os.tmpdir(), 'm3s-doc-only-reader-'));
  await buildSiteIndex({ site: dir, out: path.join(dir, 'idx'), encoder, documents: DOCS, language: 'en', targets: { vocabBytes: 2 << 10 } });
  reader = await openIndexDir(path.join(dir, 'idx'));
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a doc-only site, read without a model', () => {
  it('is inference-free: its manifest says so and ships the vocabulary, which the offline copy keeps', async () => {
    expect(reader.inferenceFree).toBe(true);
    expect(reader.manifest.model?.query).toBe('idf');
    const vocab = reader.manifest.shards.vocab!;
    expect(vocab.files.length).toBeGreaterThan(0);
    const shipped = [vocab.tokenizer.file, ...vocab.files.map((f) => f.file)];
    expect(reader.offlineFiles()).toEqual(expect.arrayContaining(shipped));
    expect(await reader.allFiles()).toEqual(expect.arrayContaining(shipped));
  });

  it('loadAllStemmers loads every stemmer the index was built with, so the analyzer stems without asking again', async () => {
    const langs = reader.manifest.keyword.analyzer.stemmers;
    expect(langs).toContain('en');
    const fresh = await openIndexDir(path.join(dir, 'idx'));
    // An empty text needs no stemmer: before, "running" is not stemmed; after loading them all, it is.
    expect((await fresh.analyzer('')).words('running')[0]!.terms[0]).toBe('running');
    await fresh.loadAllStemmers();
    expect((await fresh.analyzer('')).words('running')[0]!.terms[0]).toBe('run');
  });

  it('builds the query vector from the shipped vocabulary: the query’s ids with their idf', async () => {
    const q = 'rhythm of the drum';
    const v = await reader.idfQuery(q);
    const want = idsOf(q).filter((id) => (idf.get(tokenizer.token(id)!) ?? 0) > 0);
    expect([...v.ids]).toEqual(want);
    expect([...v.weights]).toEqual(want.map((id) => Math.fround(idf.get(tokenizer.token(id)!)!)));
  });

  it('ranks by Σ idf over shared ids, in sparse and hybrid modes alike, with no encoder', async () => {
    let several = 0;
    for (const q of ['rhythm of the drum', 'offline service worker', 'warm bread oven', 'the river drum']) {
      const want = DOCS.map((d) => ({ id: d.id, score: expectedScore(q, d.text) })).filter((s) => s.score > 0).sort((a, b) => b.score - a.score);
      expect(want.length).toBeGreaterThan(0);
      if (want.length > 1) several++;
      for (const mode of ['sparse', 'hybrid'] as const) {
        const r = await searchSite(reader, q, { mode, k: 4 });
        expect(r.hits[0]?.title, `${mode}: ${q}`).toBe(DOCS.find((d) => d.id === want[0]!.id)!.title);
        if (mode === 'sparse') expect(r.hits.map((h) => h.score)).toEqual(want.map((w) => expect.closeTo(w.score, 4)));
      }
    }
    expect(several).toBeGreaterThan(0); // some query ranks more than one passage
  });

  it('a query none of whose pieces the site holds finds nothing (no error)', async () => {
    const r = await searchSite(reader, '𝔷𝔷𝔷', { mode: 'sparse', k: 3 });
    expect(r.hits).toEqual([]);
    expect(r.mode).toBe('sparse');
  });

  it('dense and multi are refused: the index has the sparse signal only', async () => {
    for (const mode of ['dense', 'multi'] as const) {
      await expect(searchSite(reader, 'bread', { mode, k: 3 })).rejects.toMatchObject({
        code: 'INVALID_OPTION',
        message: `This index was built with a doc-only model: it has only the sparse signal, not ${mode}.`,
        details: { mode },
      });
    }
  });
});
