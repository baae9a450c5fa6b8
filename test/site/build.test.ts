// The builder end to end with a fake encoder: shards round-trip, queries fetch
// only what they need, and a rebuild re-encodes only the changed sections.
import { mkdtemp, readdir, readFile, rm, utimes, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSiteIndex, type BuildReport } from '../../src/site/build.js';
import { copyModel } from '../../src/site/bundle.js';
import { CACHE_KEEP_DAYS } from '../../src/site/encode-cache.js';
import { openIndexDir } from '../../src/site/node-reader.js';
import { buildFiles, readPreviousBuild } from '../../src/site/previous.js';
import { searchSite } from '../../src/site/search.js';
import {
  decodeDenseShard,
  decodeMetaShard,
  decodeMultiShard,
  decodePostingsShard,
  encodeDenseShard,
  encodeMetaShard,
  encodeMultiShard,
  encodePostingsShard,
  packHashes,
  rangeFileOf,
  unpackHashes,
} from '../../src/site/shards.js';
import { fakeEncoder } from './fake-encoder.js';

describe('shard files', () => {
  it('round-trip dense, postings, multi-vectors, metadata and hashes', () => {
    const dense = { first: 4, count: 2, dim: 3, q: Int8Array.from([1, -2, 3, 127, 0, -127]), scales: Float32Array.from([0.5, 0.25]) };
    expect(decodeDenseShard(encodeDenseShard(dense))).toEqual(dense);

    const terms = [
      { token: 7, passages: Uint32Array.from([0, 3, 300]), weights: Uint16Array.from([1, 2, 3]) },
      { token: 3, passages: Uint32Array.from([1]), weights: Uint16Array.from([5]) },
    ];
    const post = decodePostingsShard(encodePostingsShard(1, terms));
    expect(post.shard).toBe(1);
    expect([...post.terms.keys()].sort()).toEqual([3, 7]);
    expect(post.terms.get(7)).toEqual(terms[0]);
    expect(() => encodePostingsShard(0, [{ ...terms[1]!, passages: Uint32Array.from([2, 1]), weights: Uint16Array.from([1, 1]) }])).toThrow(/ascend/);

    for (const kind of ['float16', 'int8'] as const) {
      const rows = kind === 'float16'
        ? [{ kind, count: 2, data: Uint16Array.from([1, 2, 3, 4]) }, null]
        : [{ kind, count: 2, data: Int8Array.from([1, 2, 3, 4]), scales: Float32Array.from([0.1, 0.2]) }, null];
      expect(decodeMultiShard(encodeMultiShard({ first: 10, dim: 2, rows }, kind))).toEqual({ first: 10, dim: 2, rows });
    }

    const items = [
      { url: 'a.html', title: 'A', anchor: 'x', heading: 'X', text: 'one' },
      { url: 'a.html', title: 'A', anchor: '', heading: 'A', text: 'two <b>not html</b>' },
    ];
    expect(decodeMetaShard(encodeMetaShard(5, items))).toEqual({ first: 5, items });

    const hashes = ['0123456789ab', 'ffffffffffff'];
    expect(unpackHashes(packHashes(hashes))).toEqual(hashes);
    expect(rangeFileOf([{ first: 0, count: 3 }, { first: 3, count: 2 }], 4)).toBe(1);
    expect(rangeFileOf([{ first: 0, count: 3 }], 3)).toBe(-1);
  });

  it('rejects a damaged or foreign file', () => {
    const bytes = encodeDenseShard({ first: 0, count: 1, dim: 2, q: Int8Array.from([1, 2]), scales: Float32Array.from([1]) });
    expect(() => decodeDenseShard(bytes.slice(0, 14))).toThrow(/truncated/);
    expect(() => decodePostingsShard(bytes)).toThrow(/kind/);
    expect(() => decodeDenseShard(new Uint8Array(16))).toThrow(/not an m3search shard/);
  });
});

const page = (title: string, sections: [string, string, string][]): string =>
  `<html><head><title>${title}</title></head><body><nav>menu menu</nav><main><h1>${title}</h1>${sections
    .map(([id, h, p]) => `<section id="${id}"><h2>${h}</h2><p>${p}</p></section>`)
    .join('')}</main></body></html>`;

const LONG = Array.from({ length: 150 }, (_, i) => `filler${i % 37} word${i}`).join(' ');

describe('buildSiteIndex', () => {
  let site: string;
  let out: string;
  let first: BuildReport;
  const encoder = fakeEncoder({ maxLength: 64 });
  const build = (extra: Partial<Parameters<typeof buildSiteIndex>[0]> = {}): Promise<BuildReport> =>
    buildSiteIndex({ site, out, encoder, targets: { postingsPerShard: 40, keywordBytes: 200, metaBytes: 400, multiBytes: 300 }, ...extra });

  beforeAll(async () => {
    site = await mkdtemp(path.join(os.tmpdir(), 'm3search-site-'));
    out = path.join(site, 'm3search');
    await mkdir(path.join(site, 'guide'));
    await writeFile(path.join(site, 'index.html'), page('Home', [['welcome', 'Welcome', 'Start here to learn about the caching layer.']]));
    await writeFile(path.join(site, 'guide', 'install.html'), page('Install', [
      ['requirements', 'Requirements', 'You need a compiler and the zlib headers.'],
      ['long', 'Long section', LONG],
    ]));
    await writeFile(path.join(site, 'guide', 'config.html'), page('Configuration', [['timeouts', 'Timeouts', 'Set the request timeout in seconds.']]));
    await writeFile(path.join(site, 'skip.html'), '<html><head><meta name="m3search" content="noindex"></head><body><p>secret</p></body></html>');
    first = await build();
  });

  afterAll(async () => {
    await rm(site, { recursive: true, force: true });
  });

  const filesOnDisk = async (): Promise<Set<string>> =>
    new Set((await readdir(path.join(out, 'shards'))).map((f) => `shards/${f}`));

  it('indexes pages into sections and chunks long ones to the token limit', async () => {
    expect(first).toMatchObject({ pages: 3, skippedPages: 1, sections: 4, encoded: first.passages, reused: 0, truncated: 0 });
    expect(first.chunkedSections).toBe(1);
    expect(first.passages).toBeGreaterThan(5);
    for (const t of encoder.encoded) expect(encoder.tokenizer.ids(t).length).toBeLessThanOrEqual(64);
    const m = first.manifest;
    expect(m.counts).toMatchObject({ pages: 3, sections: 4, passages: first.passages });
    expect(m.model).toMatchObject({ id: 'test/fake', fingerprint: 'fake-1', denseDim: 8 });
    expect(m.shards.postings.count).toBeGreaterThan(1);
    expect(m.shards.multi).toMatchObject({ storage: 'int8', layout: 'nested', maxRows: 8, table: { file: expect.stringMatching(/^shards\/multi-table\.[0-9a-f]{10}\.json$/) } });
    expect(m.shards.multi.count).toBeGreaterThan(1);
    expect(m.bytes.total).toBe(Object.entries(m.bytes).reduce((s, [k, v]) => (k === 'total' ? s : s + v), 0));
    expect(JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8'))).toEqual(m);
    // Keyword queries need no tokenizer, and hybrid ones load the model's own: the index ships none.
    expect(m).not.toHaveProperty('tokenizerFiles');
    expect(m.shards.keyword.files.length).toBeGreaterThan(0);
    expect(m.keyword).toMatchObject({ k1: 1.2, b: 0.75, titleBoost: 2, analyzer: { language: 'en', wordGrams: 0 } });
  });

  it('answers keyword and hybrid queries with section links, fetching only what the query needs', async () => {
    const read: string[] = [];
    const reader = await openIndexDir(out, (f) => read.push(f));
    const res = await searchSite(reader, 'zlib compiler', { mode: 'keyword', k: 3 });
    expect(res.hits[0]).toMatchObject({ url: 'guide/install.html#requirements', title: 'Install', heading: 'Requirements' });
    expect(res.hits[0]!.snippet.marks.map(([a, b]) => res.hits[0]!.snippet.text.slice(a, b))).toEqual(['compiler', 'zlib']);
    // Keyword shards only (of the query's words), then the metadata of the hits: no vectors, no sparse postings, no tokenizer.
    expect(read.some((f) => f.includes('dense') || f.includes('multi') || f.includes('post-') || f.includes('tokenizer'))).toBe(false);
    expect(read.filter((f) => f.includes('kw-')).length).toBeGreaterThan(0);
    expect(read.filter((f) => f.includes('kw-')).length).toBeLessThan(first.manifest.shards.keyword.files.length);

    const hyb = await searchSite(reader, 'request timeout seconds', { mode: 'hybrid', encoder, k: 3 });
    expect(hyb.mode).toBe('hybrid');
    expect(hyb.hits[0]!.url).toBe('guide/config.html#timeouts');
    expect(hyb.hits[0]!.signals.multi!.score).toBeGreaterThan(0);
    // One hit per link even though the long section has several chunks.
    const longHits = (await searchSite(reader, 'filler3 filler5', { mode: 'keyword', k: 10 })).hits;
    expect(longHits.filter((h) => h.url === 'guide/install.html#long')).toHaveLength(1);
  });

  it('re-encodes only the edited section on a rebuild, copying the rest bit for bit', async () => {
    const before = await readPreviousBuild(out, { fingerprint: 'fake-1', multi: 'int8', denseDim: 8 });
    const firstFiles = await buildFiles(out, first.manifest);
    encoder.encoded.length = 0;
    const file = path.join(site, 'guide', 'config.html');
    await writeFile(file, (await readFile(file, 'utf8')).replace('in seconds', 'in milliseconds'));
    const second = await build();
    expect(second).toMatchObject({ passages: first.passages, encoded: 1, reused: first.passages - 1 });
    expect(encoder.encoded).toEqual([expect.stringContaining('milliseconds')]);
    const after = await readPreviousBuild(out, { fingerprint: 'fake-1', multi: 'int8', denseDim: 8 });
    let same = 0;
    for (const [hash, v] of after!.vectors) if (before!.vectors.has(hash)) {
      expect(v).toEqual(before!.vectors.get(hash));
      same++;
    }
    expect(same).toBe(first.passages - 1);
    expect(second.manifest.build).not.toBe(first.manifest.build);
    // The replaced build keeps its files (a page holding its manifest still reads it), and nothing else is left.
    const secondFiles = await buildFiles(out, second.manifest);
    expect(secondFiles).toEqual(expect.arrayContaining([second.manifest.shards.hashes.file, ...(await (await openIndexDir(out)).allFiles())]));
    expect(firstFiles.filter((f) => !secondFiles.includes(f)).length).toBeGreaterThan(0);
    expect(await filesOnDisk()).toEqual(new Set([...firstFiles, ...secondFiles]));
    // The build after that drops what only the first build used.
    await build();
    expect(await filesOnDisk()).toEqual(new Set(secondFiles));
  });

  it('an unchanged rebuild reuses everything and reproduces the build hash; another model re-encodes', async () => {
    const again = await build();
    expect(again).toMatchObject({ encoded: 0, reused: first.passages });
    const third = await build();
    expect(third.manifest.build).toBe(again.manifest.build);
    const other = await build({ encoder: fakeEncoder({ maxLength: 64, fingerprint: 'fake-2' }) });
    expect(other).toMatchObject({ encoded: first.passages, reused: 0 });
  });

  it('without an encoder: a keyword-only index (no vectors, no tokenizer) that answers keyword queries and refuses model modes', async () => {
    const kwOut = path.join(site, 'kw-only');
    const r = await buildSiteIndex({ site, out: kwOut, crawl: { exclude: ['m3search'] } });
    expect(r).toMatchObject({ encoded: 0, reused: 0 });
    expect(r.manifest.model).toBeNull();
    expect(r.manifest.shards).toMatchObject({ dense: { files: [] }, postings: { count: 0, files: [] }, multi: { storage: 'none', table: null } });
    expect(r.bytes).toMatchObject({ dense: 0, sparse: 0, multi: 0 });
    expect((await readdir(kwOut)).sort()).toEqual(['manifest.json', 'shards']);
    const reader = await openIndexDir(kwOut);
    const hits = (await searchSite(reader, 'zlib compiler', { mode: 'keyword', k: 3 })).hits;
    expect(hits[0]!.url).toMatch(/^guide\/install\.html#/);
    await expect(searchSite(reader, 'zlib', { mode: 'hybrid', encoder, k: 3 })).rejects.toMatchObject({ code: 'INVALID_OPTION', details: { mode: 'hybrid' } });
  });
});

describe('encode cache (cache: DIR)', () => {
  let dir: string;
  let site: string;
  let out: string;
  let cacheDir: string;
  const build = (encoder: ReturnType<typeof fakeEncoder>, extra: Partial<Parameters<typeof buildSiteIndex>[0]> = {}): Promise<BuildReport> =>
    buildSiteIndex({ site, out, encoder, cache: cacheDir, targets: { postingsPerShard: 40, keywordBytes: 200, metaBytes: 400, multiBytes: 300 }, ...extra });
  /** The output folder emptied, as generators that clean their output do: no previous build to reuse. */
  const wipe = (): Promise<void> => rm(out, { recursive: true, force: true });
  const entries = async (): Promise<string[]> => (await readdir(cacheDir, { recursive: true })).map(String).filter((f) => f.endsWith('.bin')).sort();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'm3search-cache-'));
    site = path.join(dir, 'site');
    out = path.join(site, 'm3search');
    cacheDir = path.join(dir, '.m3search-cache');
    await mkdir(path.join(site, 'guide'), { recursive: true });
    await writeFile(path.join(site, 'index.html'), page('Home', [['welcome', 'Welcome', 'Start here to learn about the caching layer.']]));
    await writeFile(path.join(site, 'guide', 'install.html'), page('Install', [['requirements', 'Requirements', 'You need a compiler and the zlib headers.'], ['long', 'Long section', LONG]]));
    await writeFile(path.join(site, 'guide', 'config.html'), page('Configuration', [['timeouts', 'Timeouts', 'Set the request timeout in seconds.']]));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('an emptied output folder costs no encoding: every passage comes back from the cache, bit for bit', async () => {
    const encoder = fakeEncoder({ maxLength: 64 });
    const first = await build(encoder);
    expect(first).toMatchObject({ encoded: first.passages, reused: 0, cached: 0, cacheDir, warnings: [] });
    expect(first.passages).toBeGreaterThan(5);
    expect(await entries()).toHaveLength(first.passages);
    // Never shipped: nothing of the cache in the index (or site) folder.
    expect((await readdir(site, { recursive: true })).map(String).filter((f) => /m3search-cache|\.tmp$/.test(f))).toEqual([]);
    expect(first.cachedCuts).toBe(0);
    await wipe();
    encoder.encoded.length = 0;
    // Cutting sections into passages tokenizes them: counted, to see the cached cuts spare it.
    let tokenized = 0;
    const ids = encoder.tokenizer.ids;
    encoder.tokenizer.ids = (t, o) => (tokenized++, ids(t, o));
    const second = await build(encoder);
    encoder.tokenizer.ids = ids;
    expect(second).toMatchObject({ encoded: 0, reused: 0, cached: first.passages, cachedCuts: first.sections, warnings: [] });
    expect(encoder.encoded).toEqual([]);
    expect(tokenized).toBe(1); // the special-token count, once
    // Same vectors, same shards: the build hash covers every file name, hence every byte.
    expect(second.manifest.build).toBe(first.manifest.build);
  });

  it('a one-page change encodes only that page’s passages; --fresh encodes everything and refreshes the cache', async () => {
    const encoder = fakeEncoder({ maxLength: 64 });
    const file = path.join(site, 'guide', 'config.html');
    await writeFile(file, (await readFile(file, 'utf8')).replace('in seconds', 'in milliseconds'));
    await wipe();
    const changed = await build(encoder);
    expect(changed.encoded).toBe(1);
    expect(changed.cachedCuts).toBe(changed.sections - 1);
    expect(changed.cached).toBe(changed.passages - 1);
    expect(encoder.encoded).toEqual([expect.stringContaining('milliseconds')]);
    encoder.encoded.length = 0;
    const fresh = await build(encoder, { fresh: true });
    expect(fresh).toMatchObject({ encoded: fresh.passages, reused: 0, cached: 0 });
    expect(fresh.manifest.build).toBe(changed.manifest.build);
    // The replaced passage's entry stays while recent (another branch may want it) and goes once old and unused.
    expect(await entries()).toHaveLength(fresh.passages + 1);
    const old = new Date(Date.now() - (CACHE_KEEP_DAYS + 1) * 86_400_000);
    for (const f of await entries()) await utimes(path.join(cacheDir, f), old, old);
    expect(await build(encoder)).toMatchObject({ encoded: 0, reused: fresh.passages });
    expect(await entries()).toHaveLength(fresh.passages);
  });

  it('another model (fingerprint) never reads this model’s entries', async () => {
    await wipe();
    const other = fakeEncoder({ maxLength: 64, fingerprint: 'fake-2' });
    const r = await build(other);
    expect(r).toMatchObject({ encoded: r.passages, cached: 0, warnings: [] });
    // Back to the first model: its entries are still there.
    await wipe();
    const back = await build(fakeEncoder({ maxLength: 64 }));
    expect(back).toMatchObject({ encoded: 0, cached: back.passages });
  });

  it('a damaged, truncated or misplaced entry is ignored with a warning naming it and encoded again, never read as a vector', async () => {
    const encoder = fakeEncoder({ maxLength: 64 });
    const own = path.join(dir, 'cache-damaged'); // one model, this build's entries only
    await wipe();
    const clean = await build(encoder, { cache: own });
    const files = (await readdir(own, { recursive: true })).map(String).filter((f) => f.endsWith('.bin')).sort().map((f) => path.join(own, f));
    expect(files).toHaveLength(clean.passages);
    const [flip, cut, swapA, swapB] = files;
    const bytes = await readFile(flip!);
    bytes[bytes.length >> 1]! ^= 0x01; // one bit inside the vectors
    await writeFile(flip!, bytes);
    await writeFile(cut!, (await readFile(cut!)).subarray(0, 40));
    await writeFile(swapB!, await readFile(swapA!)); // a valid entry under another passage's name
    const cuts = path.join(path.dirname(path.dirname(flip!)), 'chunks.json');
    const text = await readFile(cuts, 'utf8');
    await writeFile(cuts, text.replace(/\[(\d+),/, (_, n: string) => `[${Number(n) + 1},`)); // one prefix length off
    await wipe();
    encoder.encoded.length = 0;
    const r = await build(encoder, { cache: own });
    expect(r.encoded).toBe(3);
    expect(encoder.encoded).toHaveLength(3);
    expect(r.cached).toBe(clean.passages - 3);
    expect(r.cachedCuts).toBe(0); // the whole cut file is distrusted
    expect(r.warnings.find((w) => w.file === cuts)!.message).toMatch(/chunk cache.*checksum mismatch/);
    expect(r.warnings.map((w) => w.file).filter((f) => f !== cuts).sort()).toEqual([flip, cut, swapB].sort());
    expect(r.warnings.find((w) => w.file === flip)!.message).toMatch(/checksum mismatch/);
    expect(r.warnings.find((w) => w.file === cut)!.message).toMatch(/checksum mismatch|truncated/);
    expect(r.warnings.find((w) => w.file === swapB)!.message).toMatch(/another passage/);
    // The right vectors all the same, and the entries rewritten: the next build reads them without a warning.
    expect(r.manifest.build).toBe(clean.manifest.build);
    await wipe();
    expect(await build(encoder, { cache: own })).toMatchObject({ encoded: 0, cached: clean.passages, cachedCuts: clean.sections, warnings: [] });
  });

  it('refuses a cache folder inside the site or the index folder (it would be deployed)', async () => {
    const encoder = fakeEncoder({ maxLength: 64 });
    await expect(build(encoder, { cache: path.join(site, '.m3search-cache') })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/inside the site folder/) });
    await expect(build(encoder, { cache: path.join(out, 'cache') })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/inside the index folder/) });
  });
});

describe('copyModel (--copy-model)', () => {
  it('copies the model folder but only the ONNX file the index was encoded with and the external data its graph names', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'm3search-copy-'));
    const model = path.join(dir, 'model-src');
    await mkdir(path.join(model, 'onnx'), { recursive: true });
    const files = ['tokenizer.json', 'config.json', 'sparse_linear.safetensors', 'onnx/model.onnx', 'onnx/model.onnx_data', 'onnx/model_quantized.onnx', 'onnx/model_quantized.onnx_data'];
    for (const f of files) await writeFile(path.join(model, f), f);
    const common = ['config.json', 'onnx', 'sparse_linear.safetensors', 'tokenizer.json'];
    const copied = async (onnx: string, external?: string[]) => {
      await rm(path.join(dir, 'model'), { recursive: true, force: true });
      const bytes = await copyModel(model, dir, onnx, external);
      return { files: (await readdir(path.join(dir, 'model'), { recursive: true })).map(String).sort(), bytes };
    };
    // The side file goes when the graph names it, and counts in the bytes.
    const fp32 = await copied('onnx/model.onnx', ['onnx/model.onnx_data']);
    expect(fp32.files).toEqual([...common, 'onnx/model.onnx', 'onnx/model.onnx_data'].sort());
    expect(fp32.bytes).toBe(['tokenizer.json', 'config.json', 'sparse_linear.safetensors', 'onnx/model.onnx', 'onnx/model.onnx_data'].join('').length);
    // A graph with its weights inline: a `_data` file beside it is not guessed to be its.
    expect((await copied('onnx/model_quantized.onnx')).files).toEqual([...common, 'onnx/model_quantized.onnx'].sort());
    await rm(dir, { recursive: true, force: true });
  });
});
