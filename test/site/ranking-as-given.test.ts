// Hybrid weights mean "as given" (score = w.dense·dense + w.sparse·sparse +
// w.multi·multi, as in src/core/fusion.ts), also when they do not sum to 1.
// The site reader ranks through the core's fusion (src/core/rank.ts), so the
// weights mean the same as in the engine.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SiteIndexReader } from '../../src/site/query.js';
import { buildFixtureSite, FIXTURE, fixtureEncoder, hybridScore } from './ranking-fixture.js';

const { encoder } = fixtureEncoder();
let site: { dir: string; reader: SiteIndexReader };

beforeAll(async () => {
  site = await buildFixtureSite(encoder);
});

afterAll(async () => {
  await rm(site.dir, { recursive: true, force: true });
});

it('scores hybrid hits with the weights as given (they sum to 3.5 here)', async () => {
  const w = { dense: 2, sparse: 1, multi: 0.5 };
  const [q] = await encoder.encode(['kiwi'], { kind: 'query' });
  const hits = await site.reader.search(q!, { mode: 'hybrid', k: 3, weights: w });
  expect(hits).toHaveLength(3);
  for (const h of hits) {
    const url = (await site.reader.meta([h.passage]))[0]!.url;
    const sig = FIXTURE.expectedSignals[FIXTURE.passages.findIndex((p) => p.file === url)]!;
    // e.g. mango.html: 2·0.9 + 1·0 + 0.5·0.4 = 2.0
    expect(h.score).toBeCloseTo(hybridScore(sig, w), 2);
  }
});
