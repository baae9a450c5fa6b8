// One keyword engine under both surfaces: a static site's keyword search
// (shards fetched per query, the stemmers a query's scripts need loaded on
// demand, prefix completions from the shards the typed word reaches) finds
// the same passages as the core's in-memory KeywordIndex over the same
// passages, fields and analyzer, with scores equal up to the site's 8-bit
// BM25 weights. Keyword-only build of the multilingual sample corpus (no
// model), cut into small keyword shards so queries cross shard boundaries.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Analyzer } from '../../src/core/analyzer.js';
import { KeywordIndex } from '../../src/core/keyword-index.js';
import { loadStemmers } from '../../src/core/stemmers.js';
import { buildSiteIndex, KEYWORD_TITLE_BOOST } from '../../src/site/build.js';
import { openIndexDir } from '../../src/site/node-reader.js';
import type { SiteIndexReader } from '../../src/site/query.js';
import { sampleCorpus } from '../e2e/support.js';

const QUERIES = [
  'npm install permission error', // plain words
  'instal', // being typed: completions
  'service work', // the last word completes
  '"service worker" lifecycle', // a phrase
  'exponential backoff jitter',
  'спутник запуск', // Russian: the ru stemmer, loaded for this query
  'искусственный спутник Земли',
  'Gutenberg Buchdruck Mainz',
  'IndexedDB クォータ', // Japanese: character pairs
  '赵州桥',
  'zzzqqq nonsense', // nothing
];

let dir: string;
let site: SiteIndexReader;
let core: KeywordIndex;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'm3s-kw-vs-core-'));
  const docs = await sampleCorpus();
  await buildSiteIndex({ site: dir, out: path.join(dir, 'idx'), documents: docs, language: 'en', targets: { keywordBytes: 1 << 10 } });
  site = await openIndexDir(path.join(dir, 'idx'));
  // The core index over the site's own passages and fields: title = page title + heading, as the build feeds the analyzer.
  const a = site.manifest.keyword.analyzer;
  core = new KeywordIndex(new Analyzer({ language: a.language ?? undefined, stemmers: await loadStemmers(a.language ?? undefined), wordGrams: a.wordGrams }), {
    k1: site.manifest.keyword.k1,
    b: site.manifest.keyword.b,
    titleBoost: KEYWORD_TITLE_BOOST,
  });
  const n = site.manifest.counts.passages;
  const metas = await site.meta(Array.from({ length: n }, (_, p) => p));
  metas.forEach((m, p) => core.add({ id: String(p), title: [m.title, m.heading].filter(Boolean).join(' '), text: m.text }));
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('keyword search: the static site and the core agree', () => {
  it('the site has many keyword shards and stems English, Russian and the other script languages', () => {
    expect(site.manifest.shards.keyword.files.length).toBeGreaterThan(20);
    expect(site.manifest.keyword.analyzer.stemmers).toEqual(expect.arrayContaining(['en', 'ru']));
  });

  it('a typo is corrected from the words of the shards the query fetched: a subset of the core’s corrections', async () => {
    const q = 'permision error ';
    const want = new Set(core.search(q, 1000).map((h) => h.id));
    const got = (await site.keyword(q, 1000)).map((h) => String(h.passage));
    expect(got.length).toBeGreaterThan(0);
    for (const p of got) expect(want.has(p), p).toBe(true);
    // "permission" sits next to "permision" in key order: its shard is fetched, so its passages are found.
    const permission = new Set(core.search('permission', 1000).map((h) => h.id));
    for (const p of permission) expect(got).toContain(p);
  });

  it('finds the same passages, scores within the 8-bit weights’ error', async () => {
    let matched = 0;
    for (const q of QUERIES) {
      const want = core.search(q, 1000);
      const got = await site.keyword(q, 1000);
      expect(got.map((h) => String(h.passage)).sort(), q).toEqual(want.map((h) => h.id).sort());
      const coreScore = new Map(want.map((h) => [h.id, h.score]));
      for (const h of got) {
        const c = coreScore.get(String(h.passage))!;
        expect(Math.abs(h.score - c), `${q}: passage ${h.passage}`).toBeLessThanOrEqual(0.02 * c + 0.02);
      }
      // The best passage is the core's best (or ties with it within the error).
      if (want.length > 0) {
        expect(coreScore.get(String(got[0]!.passage))!, q).toBeGreaterThanOrEqual(want[0]!.score * 0.98 - 0.02);
        matched++;
      }
    }
    expect(matched).toBeGreaterThanOrEqual(QUERIES.length - 2);
  });

  it('a query in another script loads its stemmer on demand, once', async () => {
    const fresh = await openIndexDir(path.join(dir, 'idx'));
    // "спутники" (plural) reaches the passages of "спутник" only through the Russian stemmer.
    const ru = await fresh.keyword('спутники', 10);
    expect(ru.length).toBeGreaterThan(0);
    expect(ru.map((h) => String(h.passage)).sort()).toEqual(core.search('спутники', 10).map((h) => h.id).sort());
    expect((await fresh.analyzer('спутники')).words('спутники')[0]!.terms[0]).not.toBe('спутники');
  });
});
