// Nested multi-vectors in the static index: the default build keeps at most N
// rows per passage (far fewer bytes than one row per token), queries still rank
// end to end, and rebuilds that change the layout or the cap never mix layouts.
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nestMultiVectors } from '../../src/core/nested.js';
import { buildSiteIndex, type BuildOptions, type BuildReport } from '../../src/site/build.js';
import { openIndexDir } from '../../src/site/node-reader.js';
import { searchSite } from '../../src/site/search.js';
import { decodeMultiShard, type MultiShard } from '../../src/site/shards.js';
import type { StoredMulti } from '../../src/site/types.js';
import { loadMulti, storeMulti } from '../../src/site/vectors.js';
import { fakeEncoder } from './fake-encoder.js';

const page = (title: string, sections: [string, string, string][]): string =>
  `<html><head><title>${title}</title></head><body><main><h1>${title}</h1>${sections
    .map(([id, h, p]) => `<section id="${id}"><h2>${h}</h2><p>${p}</p></section>`)
    .join('')}</main></body></html>`;

const prose = (seed: number, n: number): string => Array.from({ length: n }, (_, i) => `w${(i * 7 + seed) % 97}`).join(' ');

/** Every passage's stored multi-vector rows, in passage order. */
async function storedRows(out: string): Promise<(StoredMulti | null)[]> {
  const reader = await openIndexDir(out);
  const rows: (StoredMulti | null)[] = [];
  for (const f of await reader.multiFiles()) {
    const s: MultiShard = decodeMultiShard(new Uint8Array(await readFile(path.join(out, f.file))));
    s.rows.forEach((r, i) => (rows[s.first + i] = r));
  }
  return rows;
}

describe('nested multi-vectors in the site index', () => {
  let site: string;
  const encoder = fakeEncoder({ maxLength: 64 });
  const build = (out: string, extra: Partial<BuildOptions> = {}): Promise<BuildReport> =>
    buildSiteIndex({ site, out, encoder, ...extra });

  beforeAll(async () => {
    site = await mkdtemp(path.join(os.tmpdir(), 'm3search-nested-'));
    await mkdir(path.join(site, 'guide'));
    await writeFile(path.join(site, 'index.html'), page('Home', [['welcome', 'Welcome', `Start here. ${prose(1, 40)}`]]));
    await writeFile(path.join(site, 'guide', 'config.html'), page('Configuration', [
      ['timeouts', 'Timeouts', `Set the request timeout in seconds. ${prose(2, 30)}`],
      ['cache', 'Cache', `The cache keeps compiled templates on disk. ${prose(3, 45)}`],
      ['tiny', 'Tiny', 'two words'],
    ]));
  });

  afterAll(async () => {
    await rm(site, { recursive: true, force: true });
  });

  it('stores at most N rows per passage, records the layout, and shrinks the multi bytes vs all', async () => {
    const all = await build(path.join(site, 'idx-all'), { multi: 'all' });
    const nested = await build(path.join(site, 'idx-nested'), { maxMultiVectors: 4 });
    expect(all.manifest.shards.multi).toMatchObject({ storage: 'int8', layout: 'all', maxRows: null });
    expect(nested.manifest.shards.multi).toMatchObject({ storage: 'int8', layout: 'nested', maxRows: 4 });
    const allRows = await storedRows(path.join(site, 'idx-all'));
    const nestedRows = await storedRows(path.join(site, 'idx-nested'));
    expect(nestedRows).toHaveLength(nested.passages);
    for (const [p, r] of nestedRows.entries()) {
      expect(r!.count).toBeLessThanOrEqual(4);
      expect(r!.count).toBe(Math.min(4, allRows[p]!.count));
    }
    expect(allRows.some((r) => r!.count > 20)).toBe(true);
    expect(nested.bytes.multi).toBeLessThan(all.bytes.multi / 3);
    expect(nested.bytes.total).toBeLessThan(all.bytes.total);
    // The default cap is 8; `none` stores no multi-vectors at all.
    expect((await build(path.join(site, 'idx-default'))).manifest.shards.multi).toMatchObject({ layout: 'nested', maxRows: 8 });
    const none = await build(path.join(site, 'idx-none'), { multi: 'none' });
    expect(none.manifest.shards.multi).toMatchObject({ storage: 'none', table: null });
    expect(none.bytes.multi).toBe(0);
    await expect(build(path.join(site, 'idx-bad'), { maxMultiVectors: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });

  it('answers hybrid queries end to end with MaxSim over the nested rows, with or without a query-time budget', async () => {
    const reader = await openIndexDir(path.join(site, 'idx-nested'));
    expect(reader.multiLayout).toEqual({ layout: 'nested', maxRows: 4 });
    const res = await searchSite(reader, 'request timeout seconds', { mode: 'hybrid', encoder, k: 3 });
    expect(res.hits[0]!.url).toBe('guide/config.html#timeouts');
    const full = res.hits[0]!.signals.multi!.score;
    expect(full).toBeGreaterThan(0);
    // The score is MaxSim over the stored rows: recompute it from the query's own vectors.
    const [q] = await encoder.encode(['request timeout seconds'], { kind: 'query' });
    const rows = loadMulti((await storedRows(path.join(site, 'idx-nested')))[res.hits[0]!.passage]!, 8);
    const maxSim = (n: number): number => {
      let sum = 0;
      for (let a = 0; a < q!.multi.count; a++) {
        let best = -Infinity;
        for (let b = 0; b < n; b++) {
          let dot = 0;
          for (let j = 0; j < 8; j++) dot += q!.multi.data[a * 8 + j]! * rows.data[b * 8 + j]!;
          best = Math.max(best, dot);
        }
        sum += best;
      }
      return sum / q!.multi.count;
    };
    expect(full).toBeCloseTo(maxSim(rows.count), 5);
    const one = await searchSite(reader, 'request timeout seconds', { mode: 'hybrid', encoder, k: 3, multiVectorBudget: 1 });
    const hit = one.hits.find((h) => h.passage === res.hits[0]!.passage)!;
    expect(hit.signals.multi!.score).toBeCloseTo(maxSim(1), 5);
    expect(hit.signals.multi!.score).toBeLessThanOrEqual(full + 1e-6);
  });

  it('rebuilds re-reduce or re-encode when the layout or cap changes, never mixing layouts', async () => {
    const out = path.join(site, 'idx-switch');
    const all = await build(out, { multi: 'all' });
    const allRows = await storedRows(out);
    // all → nested: re-reduced from the stored token rows, no encoder run.
    encoder.encoded.length = 0;
    const toNested = await build(out, { maxMultiVectors: 6 });
    expect(toNested).toMatchObject({ encoded: 0, reused: all.passages });
    expect(toNested.reshaped).toBe(all.passages);
    const six = await storedRows(out);
    six.forEach((r, p) => expect(r).toEqual(storeMulti(nestMultiVectors(loadMulti(allRows[p]!, 8), 6), 'int8')));
    // Lower cap: the prefix of each nested list.
    const toThree = await build(out, { maxMultiVectors: 3 });
    expect(toThree).toMatchObject({ encoded: 0, reused: all.passages });
    const three = await storedRows(out);
    three.forEach((r, p) => {
      expect(r!.count).toBe(Math.min(3, six[p]!.count));
      expect(Array.from(r!.data)).toEqual(Array.from(six[p]!.data.slice(0, r!.count * 8)));
    });
    // Higher cap: only passages that kept every token row can be reused; the rest are encoded again.
    const short = three.filter((r) => r!.count < 3).length;
    const toFive = await build(out, { maxMultiVectors: 5 });
    expect(toFive).toMatchObject({ encoded: all.passages - short, reused: short });
    (await storedRows(out)).forEach((r, p) => expect(r!.count).toBe(Math.min(5, allRows[p]!.count)));
    // nested → all: the token rows are gone, so everything is encoded again.
    const back = await build(out, { multi: 'all' });
    expect(back).toMatchObject({ encoded: all.passages, reused: 0 });
    expect(await storedRows(out)).toEqual(allRows);
    expect(back.manifest.build).toBe(all.manifest.build);
  });
});
