// Robustness: a static site index read from disk (the Node reader,
// openIndexDir) with one file damaged per case — random byte flips and
// truncations of the manifest, the multi-vector table and every kind of
// shard. Each case: INVALID_INDEX, or every query answers exactly as the clean
// index does. Seeded; one summary line per run.
import { cp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openIndexDir } from '../../src/site/node-reader.js';
import { searchSite, type SiteSearchOptions } from '../../src/site/search.js';
import { rng } from '../core/helpers.js';
import { buildCorruptFixture, type CorruptFixture } from '../site/corrupt-fixture.js';
import { damage, judge, pick, summary, tally } from './tally.js';

const SEED = 0x5eed2;
const CASES_PER_INDEX = 220;
const MODES: SiteSearchOptions['mode'][] = ['keyword', 'hybrid'];

const built: CorruptFixture[] = [];
afterAll(async () => {
  for (const fx of built) await rm(fx.dir, { recursive: true, force: true });
});

async function results(dir: string, fx: CorruptFixture): Promise<unknown> {
  const reader = await openIndexDir(dir);
  const out: unknown[] = [];
  for (const q of fx.queries.slice(0, 3)) {
    for (const mode of MODES) {
      const res = await searchSite(reader, q, { mode, k: 5, encoder: fx.encoder });
      out.push(res.hits.map((h) => [h.url, h.score, h.snippet.text]));
    }
  }
  return out;
}

describe('robustness: site shards and manifests', () => {
  it('every damaged index file is INVALID_INDEX or answers exactly like the clean index', async () => {
    const t = tally('shards');
    const r = rng(SEED);
    const variants = [
      { multi: 'nested', multiStorage: 'int8', seed: 1 },
      { multi: 'all', multiStorage: 'float16', seed: 2 },
    ] as const;
    for (const v of variants) {
      const fx = await buildCorruptFixture(v);
      built.push(fx);
      // The files a query reads: the manifest, the multi-vector table and the shards (tokenizer and hashes are not read here).
      const targets = [...fx.files.keys()].filter((f) => f === 'manifest.json' || /^shards\/(dense|post|multi|meta)/.test(f));
      const work = path.join(fx.dir, 'work');
      await cp(fx.out, work, { recursive: true });
      const clean = await results(work, fx);
      for (let c = 0; c < CASES_PER_INDEX; c++) {
        // The manifest is one file among ~40: pick it a fifth of the time so its damage is well covered.
        const file = r() < 0.2 ? 'manifest.json' : pick(r, targets);
        const d = damage(r, fx.files.get(file)!);
        await writeFile(path.join(work, file), d.bytes);
        await judge(t, `${v.multi}/${v.multiStorage} ${file}: ${d.what}`, clean, async () => ({ result: await results(work, fx) }));
        await writeFile(path.join(work, file), fx.files.get(file)!);
      }
    }
    console.log(summary(t));
    expect(t.problems).toEqual([]);
    expect(t.cases).toBe(2 * CASES_PER_INDEX);
  }, 120_000);
});
