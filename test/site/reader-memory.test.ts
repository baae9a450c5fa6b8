// What a long visit keeps in memory: the reader's decoded files stay under
// their byte budget however many queries run (least recently used go first,
// and are simply loaded again), and ByteLru itself.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSiteIndex } from '../../src/site/build.js';
import { ByteLru } from '../../src/site/byte-lru.js';
import { readManifest } from '../../src/site/previous.js';
import { SiteIndexReader } from '../../src/site/query.js';
import { searchSite } from '../../src/site/search.js';
import { fakeEncoder } from './fake-encoder.js';

describe('ByteLru', () => {
  it('keeps the most recently used entries within its byte budget', () => {
    const lru = new ByteLru<string>(10);
    lru.set('a', 'A', 4);
    lru.set('b', 'B', 4);
    expect(lru.get('a')).toBe('A'); // a is now the most recent
    lru.set('c', 'C', 4); // 12 > 10: b goes
    expect([lru.get('b'), lru.get('a'), lru.get('c')]).toEqual([undefined, 'A', 'C']);
    expect(lru.bytes).toBe(8);
    lru.set('big', 'X', 11); // larger than the budget: not kept, nothing evicted
    expect([lru.get('big'), lru.size, lru.bytes]).toEqual([undefined, 2, 8]);
    lru.set('a', 'A2', 2); // replacing counts the new size only
    expect(lru.bytes).toBe(6);
    lru.delete('c');
    lru.clear();
    expect([lru.size, lru.bytes]).toEqual([0, 0]);
  });
});

describe('SiteIndexReader memory over many queries', () => {
  let site: string;
  let out: string;
  const encoder = fakeEncoder({ maxLength: 64 });
  const words = Array.from({ length: 60 }, (_, i) => `topic${i}`);

  beforeAll(async () => {
    site = await mkdtemp(path.join(os.tmpdir(), 'm3search-reader-memory-'));
    out = path.join(site, 'm3search');
    await mkdir(site, { recursive: true });
    for (const [i, w] of words.entries()) {
      await writeFile(path.join(site, `p${i}.html`), `<html><head><title>Page ${i}</title></head><body><main><h1>Page ${i}</h1><p>${w} ${w} about ${words[(i + 1) % words.length]} and more words to index here</p></main></body></html>`);
    }
    await buildSiteIndex({ site, out, encoder, targets: { postingsPerShard: 20, metaBytes: 200, multiBytes: 200 } });
  });

  afterAll(async () => {
    await rm(site, { recursive: true, force: true });
  });

  it('holds at most its budget of decoded files, and reloads what it dropped', async () => {
    const manifest = (await readManifest(out))!;
    const budget = 4096;
    let loads = 0;
    let loadedBytes = 0;
    const reader = new SiteIndexReader(manifest, async (f) => {
      loads++;
      const b = new Uint8Array(await readFile(path.join(out, f)));
      loadedBytes += b.length;
      return b;
    }, { cacheBytes: budget });
    for (const w of words) {
      const keyword = await searchSite(reader, w, { mode: 'keyword', k: 5 });
      expect(keyword.hits[0]!.title).toBe(`Page ${words.indexOf(w)}`);
      const hybrid = await searchSite(reader, w, { mode: 'hybrid', encoder, k: 5 });
      expect(hybrid.hits.length).toBeGreaterThan(0);
      expect(reader.cachedBytes).toBeLessThanOrEqual(budget);
    }
    // The queries touched far more than the budget: the cache dropped and reloaded files.
    expect(loadedBytes).toBeGreaterThan(4 * budget);
    const before = loads;
    await searchSite(reader, words[0]!, { mode: 'keyword', k: 5 });
    expect(loads).toBeGreaterThan(before);
  });
});
