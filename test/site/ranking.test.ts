// The site reader's ranking against scores worked out by hand: a three-page
// site whose passages get hand-written vectors, so every dense, sparse and
// multi-vector score is a small dot product computed here with plain loops,
// and the hybrid score is w.dense·dense + w.sparse·sparse + w.multi·multi.
// The weights used here sum to 1, so the expectations hold whether the reader
// normalizes by the weight sum or takes the weights as given.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Encoded } from '../../src/core/types.js';
import type { SiteIndexReader } from '../../src/site/query.js';
import { searchSite } from '../../src/site/search.js';
import { buildFixtureSite, FIXTURE, fixtureEncoder, hybridScore, type Signals, type W } from './ranking-fixture.js';

const { encoder, tokenizer } = fixtureEncoder();
let site: { dir: string; reader: SiteIndexReader };
let reader: SiteIndexReader;

beforeAll(async () => {
  site = await buildFixtureSite(encoder);
  reader = site.reader;
});

afterAll(async () => {
  await rm(site.dir, { recursive: true, force: true });
});

/** The fixture's signals, worked out independently of the reader. */
const expected: Signals[] = FIXTURE.expectedSignals;
const order = (w: W): string[] =>
  FIXTURE.passages
    .map((p, i) => ({ file: p.file, s: hybridScore(expected[i]!, w) }))
    .sort((a, b) => b.s - a.s)
    .map((x) => x.file);

const urlOf = async (passage: number): Promise<string> => (await reader.meta([passage]))[0]!.url;

describe('site hybrid ranking against hand-computed scores', () => {
  it('the hand computation itself: exact signals of the fixture', () => {
    // Written out so that a reader can check them on paper.
    expect(expected.map((s) => s.dense)).toEqual([0.2, 0.9, 0.6].map((x) => expect.closeTo(x, 12)));
    expect(expected.map((s) => s.sparse)).toEqual([0.9, 0, 0.5].map((x) => expect.closeTo(x, 12)));
    expect(expected.map((s) => s.multi)).toEqual([0.8, 0.4, 0.7].map((x) => expect.closeTo(x, 12)));
  });

  const WEIGHTS: W[] = [
    { dense: 0.6, sparse: 0.3, multi: 0.1 },
    { dense: 0.1, sparse: 0.7, multi: 0.2 },
    { dense: 0.15, sparse: 0.25, multi: 0.6 },
  ];

  it.each(WEIGHTS)('scores and orders every passage as w·signals for %o', async (w) => {
    // The fixture discriminates: swapping any two weights changes some score by > 0.05.
    const swaps: W[] = [
      { ...w, dense: w.sparse, sparse: w.dense },
      { ...w, dense: w.multi, multi: w.dense },
      { ...w, sparse: w.multi, multi: w.sparse },
    ];
    for (const s of swaps) expect(Math.max(...expected.map((e) => Math.abs(hybridScore(e, s) - hybridScore(e, w))))).toBeGreaterThan(0.05);

    const hits = await reader.search(await encoder.encode(['kiwi'], { kind: 'query' }).then(([q]) => q!), { mode: 'hybrid', k: 3, weights: w });
    expect(hits).toHaveLength(3);
    const files = await Promise.all(hits.map((h) => urlOf(h.passage)));
    expect(files).toEqual(order(w));
    hits.forEach((h, r) => {
      const sig = expected[FIXTURE.passages.findIndex((p) => p.file === files[r])]!;
      // int8 dense rows and float16 sparse weights / token rows: within 0.01.
      expect(h.signals.dense!.score).toBeCloseTo(sig.dense, 2);
      expect(h.signals.sparse!.score).toBeCloseTo(sig.sparse, 2);
      expect(h.signals.multi!.score).toBeCloseTo(sig.multi, 2);
      expect(h.score).toBeCloseTo(hybridScore(sig, w), 2);
    });
  });

  it('without multi-vectors (k = 1), the first stage picks by w.dense·dense + w.sparse·sparse', async () => {
    const [q] = await encoder.encode(['kiwi'], { kind: 'query' });
    const noMulti: Encoded = { ...q!, multi: { data: new Float32Array(0), count: 0, dim: 4 } };
    for (const w of [{ dense: 0.8, sparse: 0.2, multi: 0 }, { dense: 0.2, sparse: 0.8, multi: 0 }]) {
      const want = order(w)[0]!;
      // …and the opposite weighting would pick another page.
      expect(order({ dense: w.sparse, sparse: w.dense, multi: 0 })[0]).not.toBe(want);
      const hits = await reader.search(noMulti, { mode: 'hybrid', k: 1, weights: w });
      expect(hits).toHaveLength(1);
      expect(await urlOf(hits[0]!.passage)).toBe(want);
      expect(hits[0]!.signals.multi).toBeUndefined();
      const sig = expected[FIXTURE.passages.findIndex((p) => p.file === want)]!;
      expect(hits[0]!.score).toBeCloseTo(w.dense * sig.dense + w.sparse * sig.sparse, 2);
    }
  });

  it('the hybrid list that replaces the keyword list reorders it as the default weights say', async () => {
    const keyword = await searchSite(reader, 'kiwi', { mode: 'keyword', k: 10 });
    // BM25 by hand: only kiwi.html and orchard.html contain "kiwi"; kiwi.html twice in fewer words.
    expect(keyword.hits.map((h) => h.url)).toEqual(['kiwi.html', 'orchard.html']);
    expect(keyword.hits[0]!.score).toBeGreaterThan(keyword.hits[1]!.score);

    const hybrid = await searchSite(reader, 'kiwi', { mode: 'hybrid', encoder, k: 10 });
    const DEFAULTS = { dense: 0.4, sparse: 0.2, multi: 0.4 };
    // 0.4·0.6 + 0.2·0.5 + 0.4·0.7 = 0.62 > 0.4·0.2 + 0.2·0.9 + 0.4·0.8 = 0.58 > 0.4·0.9 + 0 + 0.4·0.4 = 0.52
    expect(order(DEFAULTS)).toEqual(['orchard.html', 'kiwi.html', 'mango.html']);
    expect(hybrid.hits.map((h) => h.url)).toEqual(['orchard.html', 'kiwi.html', 'mango.html']);
    expect(hybrid.hits.map((h) => h.score)).toEqual([0.62, 0.58, 0.52].map((x) => expect.closeTo(x, 2)));
    // The keyword list's top hit is demoted, not dropped.
    expect(hybrid.hits.findIndex((h) => h.url === keyword.hits[0]!.url)).toBe(1);
  });
});
