// The static-site reader against a hand-made five-passage index held in memory:
// every score below is worked out by hand (BM25 with Math.log, dot products of
// small integers with power-of-two scales), and every fetch is logged, so the
// tests also say which files a query needs.
import { describe, expect, it } from 'vitest';
import type { Encoded } from '../../src/core/types.js';
import { SiteIndexReader, type LoadFile } from '../../src/site/query.js';
import { searchSite } from '../../src/site/search.js';
import { encodeDenseShard, encodeMetaShard, encodeMultiShard, encodePostingsShard, type TermPostings } from '../../src/site/shards.js';
import type { PassageMeta, SiteManifest } from '../../src/site/types.js';
import { float32ToFloat16 } from '../../src/core/quantize.js';

// Words → token ids; postings shard = id % 2.
const TOKENS: Record<string, number> = { apple: 10, banana: 11, cherry: 12, date: 13 };
const META: PassageMeta[] = [
  { url: 'a.html', title: 'A', anchor: 'intro', heading: 'Intro', text: 'apple banana' },
  { url: 'a.html', title: 'A', anchor: 'intro', heading: 'Intro', text: 'apple cherry' }, // second chunk of the same section
  { url: 'b.html', title: 'B', anchor: '', heading: 'B', text: 'banana' },
  { url: 'c.html', title: 'C', anchor: 'x', heading: 'X', text: 'cherry apple apple' },
  { url: 'd.html', title: 'D', anchor: 'y', heading: 'Y', text: 'date' },
];
// Dense rows (int8) × scale 0.25; query [1, 0] → 1, 0.5, 0, 0.75, −1.
const DENSE_Q = [[4, 0], [2, 2], [0, 4], [3, 1], [-4, 0]];

const h = (xs: number[]): Uint16Array => float32ToFloat16(Float32Array.from(xs));
const term = (token: number, lex: number[], lexW: number[], sparse: number[], sparseW: number[]): TermPostings => ({
  token,
  lexPassages: Uint32Array.from(lex),
  lexWeights: h(lexW),
  sparsePassages: Uint32Array.from(sparse),
  sparseWeights: h(sparseW),
});

function files(multi: 'float16' | 'none'): Map<string, Uint8Array> {
  const f = new Map<string, Uint8Array>();
  const dense = (first: number, count: number): Uint8Array =>
    encodeDenseShard({ first, count, dim: 2, q: Int8Array.from(DENSE_Q.slice(first, first + count).flat()), scales: new Float32Array(count).fill(0.25) });
  f.set('dense-0.bin', dense(0, 3));
  f.set('dense-1.bin', dense(3, 2));
  // Document-side BM25 weights as stored; learned sparse weights per passage.
  f.set('postings-0.bin', encodePostingsShard(0, [term(10, [0, 1, 3], [1, 1, 1.5], [0, 3], [0.5, 1]), term(12, [1, 3], [1, 1], [1], [0.25])]).bytes);
  f.set('postings-1.bin', encodePostingsShard(1, [term(11, [0, 2], [1, 2], [2], [2]), term(13, [4], [1], [], [])]).bytes);
  f.set('meta-0.json', encodeMetaShard(0, META.slice(0, 3)));
  f.set('meta-1.json', encodeMetaShard(3, META.slice(3)));
  if (multi !== 'none') {
    const row = (rows: number[][]) => ({ kind: 'float16' as const, count: rows.length, data: h(rows.flat()) });
    f.set('multi-0.bin', encodeMultiShard({ first: 0, dim: 2, rows: [row([[1, 0]]), row([[0, 1]]), null] }, 'float16'));
    f.set('multi-1.bin', encodeMultiShard({ first: 3, dim: 2, rows: [row([[0, 1], [1, 0]]), row([[-1, 0]])] }, 'float16'));
    f.set(
      'multi.json',
      new TextEncoder().encode(
        JSON.stringify([
          { file: 'multi-0.bin', first: 0, count: 3, bytes: 0 },
          { file: 'multi-1.bin', first: 3, count: 2, bytes: 0 },
        ]),
      ),
    );
  }
  return f;
}

function manifest(multi: 'float16' | 'none'): SiteManifest {
  return {
    format: 'm3search-site',
    version: 1,
    build: 'hand',
    createdAt: '',
    siteRoot: '../',
    model: { id: 'hand', fingerprint: 'hand-1', maxLength: 64, denseDim: 2, multiDim: 2, sparseStyle: 'lexical' },
    tokenizer: 'tokenizer',
    chunking: { maxTokens: 64, overlapTokens: 0 },
    counts: { pages: 4, sections: 4, passages: 5, chunkedSections: 1, tokens: 12 },
    lexical: { k1: 1.2, b: 0.75, avgLength: 2 },
    shards: {
      hashes: { file: 'hashes.bin', bytes: 30 },
      dense: {
        storage: 'int8',
        files: [
          { file: 'dense-0.bin', first: 0, count: 3, bytes: 0 },
          { file: 'dense-1.bin', first: 3, count: 2, bytes: 0 },
        ],
      },
      postings: { count: 2, files: ['postings-0.bin', 'postings-1.bin'], bytes: [0, 0] },
      multi: multi === 'none' ? { storage: 'none', count: 0, table: null } : { storage: 'float16', layout: 'all', maxRows: null, count: 2, table: { file: 'multi.json', bytes: 0 } },
      meta: {
        files: [
          { file: 'meta-0.json', first: 0, count: 3, bytes: 0 },
          { file: 'meta-1.json', first: 3, count: 2, bytes: 0 },
        ],
      },
    },
    bytes: { dense: 0, lexical: 0, sparse: 0, multi: 0, meta: 0, tokenizer: 0, manifest: 0, total: 0 },
  };
}

function reader(opts: { multi?: 'float16' | 'none'; fail?: (name: string) => boolean; corrupt?: string } = {}): { r: SiteIndexReader; log: string[] } {
  const f = files(opts.multi ?? 'float16');
  const log: string[] = [];
  const load: LoadFile = async (name) => {
    log.push(name);
    if (opts.fail?.(name)) throw new Error(`offline: ${name}`);
    if (name === opts.corrupt) return Uint8Array.of(1, 2, 3);
    const b = f.get(name);
    if (!b) throw new Error(`no file ${name}`);
    return b;
  };
  return { r: new SiteIndexReader(manifest(opts.multi ?? 'float16'), load), log };
}

const query = (dense: number[], sparse: [number, number][], multi: number[][] = []): Encoded => ({
  dense: Float32Array.from(dense),
  sparse: { ids: Uint32Array.from(sparse.map(([i]) => i)), weights: Float32Array.from(sparse.map(([, w]) => w)) },
  multi: { data: Float32Array.from(multi.flat()), count: multi.length, dim: 2 },
  tokens: 2,
  truncated: false,
});
const tokenizer = { ids: (t: string): number[] => t.toLowerCase().split(/\s+/).filter(Boolean).map((w) => TOKENS[w] ?? 99), specialIds: new Set<number>([99]) };

// BM25 by hand, N = 5: idf = ln(1 + (N − df + 0.5) / (df + 0.5)).
const IDF_APPLE = Math.log(1 + 2.5 / 3.5); // df 3
const IDF_BANANA = Math.log(1 + 3.5 / 2.5); // df 2

describe('SiteIndexReader', () => {
  it('lexical: Σ tf·idf × stored document weight, best first, ranks from 1', async () => {
    const { r, log } = reader();
    // apple twice, banana once.
    const hits = await r.lexical([10, 11, 10]);
    const expected: [number, number][] = [
      [0, 2 * IDF_APPLE + IDF_BANANA],
      [2, 2 * IDF_BANANA],
      [3, 2 * IDF_APPLE * 1.5],
      [1, 2 * IDF_APPLE],
    ];
    expect(hits.map((x) => x.passage)).toEqual(expected.map(([p]) => p));
    hits.forEach((x, i) => {
      expect(x.score).toBeCloseTo(expected[i]![1], 5);
      expect(x.signals).toEqual({ lexical: { score: x.score, rank: i + 1 } });
    });
    expect(log.sort()).toEqual(['postings-0.bin', 'postings-1.bin']);
    expect((await r.lexical([10, 11, 10], 2)).map((x) => x.passage)).toEqual([0, 2]);
    // Tokens without postings score nothing; an absent token alone finds nothing.
    expect(await r.lexical([98])).toEqual([]);
    expect(await r.lexical([])).toEqual([]);
  });

  it('postings: only the shards the tokens hash to, each fetched once; absent tokens left out', async () => {
    const { r, log } = reader();
    const p = await r.postings([12, 12, 10, 20]);
    expect([...p.keys()].sort()).toEqual([10, 12]);
    expect([...p.get(12)!.lexPassages]).toEqual([1, 3]);
    expect(log).toEqual(['postings-0.bin']);
    await r.postings([11, 10]);
    expect(log).toEqual(['postings-0.bin', 'postings-1.bin']);
  });

  it('sparse mode: Σ query weight × stored weight; zero query weights ignored; ties by passage', async () => {
    const { r, log } = reader();
    // apple 1, cherry 2: p3 = 1·1 = 1, p0 = 1·0.5, p1 = 2·0.25 = 0.5.
    const hits = await r.search(query([0, 0], [[10, 1], [12, 2]]), { mode: 'sparse', k: 5 });
    expect(hits.map((x) => [x.passage, x.score])).toEqual([[3, 1], [0, 0.5], [1, 0.5]]);
    expect(hits[0]!.signals.sparse).toEqual({ score: 1, rank: 1 });
    expect(log.some((f) => f.startsWith('dense'))).toBe(false);
    const zero = await r.search(query([0, 0], [[10, 1], [11, 0]]), { mode: 'sparse', k: 5 });
    expect(zero.map((x) => x.passage)).toEqual([3, 0]);
  });

  it('dense mode: int8 rows × their scale, over both dense shards', async () => {
    const { r, log } = reader({ multi: 'none' });
    const hits = await r.search(query([1, 0], []), { mode: 'dense', k: 5 });
    expect(hits.map((x) => [x.passage, x.score])).toEqual([[0, 1], [3, 0.75], [1, 0.5], [2, 0], [4, -1]]);
    expect(hits.map((x) => x.signals.dense!.rank)).toEqual([1, 2, 3, 4, 5]);
    expect(log.filter((f) => f.startsWith('dense')).sort()).toEqual(['dense-0.bin', 'dense-1.bin']);
    // A query vector of another size: the index was built with another model.
    await expect(r.search(query([1, 0, 0], []), { mode: 'dense' })).rejects.toMatchObject({ code: 'MODEL_MISMATCH' });
  });

  it('dense shards of another width are refused as INVALID_INDEX, naming the file', async () => {
    const m = manifest('none');
    const f = files('none');
    f.set('dense-1.bin', encodeDenseShard({ first: 3, count: 2, dim: 3, q: new Int8Array(6), scales: new Float32Array(2) }));
    const r = new SiteIndexReader(m, async (name) => f.get(name)!);
    const e = await r.search(query([1, 0], []), { mode: 'dense' }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'INVALID_INDEX', message: 'dense-1.bin holds 3-dim vectors but the query has 2: the index was built with another model.', details: { file: 'dense-1.bin' } });
  });

  it('multi mode: token vectors fetched for the candidates only, MaxSim over float16 rows', async () => {
    const { r, log } = reader();
    // Query rows [1,0] and [0,1]: p0 (1 + 0)/2, p1 (0 + 1)/2, p3 (1 + 1)/2, p4 (−1 + 0)/2; p2 has no rows.
    const hits = await r.search(query([1, 0], [[10, 1]], [[1, 0], [0, 1]]), { mode: 'multi', k: 5, candidates: 5, coarseDepth: 5 });
    const got = new Map(hits.map((x) => [x.passage, x.score]));
    expect(got.get(3)).toBeCloseTo(1, 3);
    expect(got.get(0)).toBeCloseTo(0.5, 3);
    expect(got.get(1)).toBeCloseTo(0.5, 3);
    expect(hits[0]!.passage).toBe(3);
    expect(log).toContain('multi.json');
    expect(log).toContain('multi-1.bin');
  });

  it('a query with token vectors only scores every passage by MaxSim (a passage without rows scores 0)', async () => {
    const { r } = reader();
    // Query row [1, 0]: p0 1, p1 0, p2 none → 0, p3 max(0, 1) = 1, p4 −1.
    const hits = await r.search(query([0, 0], [], [[1, 0]]), { mode: 'multi', k: 5 });
    expect(hits.map((x) => x.passage)).toEqual([0, 3, 1, 2, 4]);
    expect(hits.map((x) => x.score)).toEqual([1, 1, 0, 0, -1]);
  });

  it('multi-vector shards that cannot be fetched leave the multi signal out (offline copy)', async () => {
    const { r } = reader({ fail: (n) => n.startsWith('multi') });
    const hits = await r.search(query([1, 0], [[10, 1]], [[1, 0]]), { mode: 'hybrid', k: 3 });
    expect(hits.length).toBeGreaterThan(0);
    for (const x of hits) expect(x.signals.multi).toBeUndefined();
  });

  it('refuses a filter: documents are only fetched for the hits', async () => {
    const { r } = reader();
    await expect(r.search(query([1, 0], []), { filter: () => true } as never)).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: 'filter is not available on a static site index: its documents are fetched only for the hits.',
    });
  });

  it('meta: the right shard per passage, fetched once; a passage out of range is INVALID_INDEX', async () => {
    const { r, log } = reader();
    expect(await r.meta([4, 0, 3])).toEqual([META[4], META[0], META[3]]);
    expect(await r.meta([1])).toEqual([META[1]]);
    expect(log).toEqual(['meta-1.json', 'meta-0.json']);
    await expect(r.meta([5])).rejects.toMatchObject({ code: 'INVALID_INDEX', message: 'passage 5 is not in the index (5 passages).', details: { passage: 5 } });
  });

  it('a file that arrives but does not decode is INVALID_INDEX naming it; a failed fetch is retried next time', async () => {
    const bad = reader({ corrupt: 'postings-0.bin' });
    const e = await bad.r.lexical([10]).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'INVALID_INDEX', details: { file: 'postings-0.bin' } });
    expect((e as Error).message).toMatch(/^postings-0\.bin is not a valid m3search shard: /);
    let down = true;
    const flaky = reader({ fail: () => down });
    await expect(flaky.r.lexical([10])).rejects.toThrow('offline: postings-0.bin');
    down = false;
    expect((await flaky.r.lexical([10])).map((x) => x.passage)).toEqual([3, 0, 1]);
    expect(flaky.log).toEqual(['postings-0.bin', 'postings-0.bin']);
  });

  it('file lists: the offline copy leaves out the multi-vector shards; all files add the table and its shards', async () => {
    const { r } = reader();
    expect(r.offlineFiles()).toEqual(['dense-0.bin', 'dense-1.bin', 'postings-0.bin', 'postings-1.bin', 'meta-0.json', 'meta-1.json']);
    expect(await r.allFiles()).toEqual([...r.offlineFiles(), 'multi.json', 'multi-0.bin', 'multi-1.bin']);
    expect(r.multiLayout).toEqual({ layout: 'all', maxRows: null });
    const none = reader({ multi: 'none' });
    expect(await none.r.multiFiles()).toEqual([]);
    expect(await none.r.allFiles()).toEqual(none.r.offlineFiles());
    const nested = new SiteIndexReader({ ...manifest('float16'), shards: { ...manifest('float16').shards, multi: { storage: 'int8', layout: 'nested', maxRows: 4, count: 0, table: null } } }, async () => new Uint8Array());
    expect(nested.multiLayout).toEqual({ layout: 'nested', maxRows: 4 });
  });
});

describe('searchSite', () => {
  it('a blank query answers nothing without fetching', async () => {
    const { r, log } = reader();
    expect(await searchSite(r, '   ', { mode: 'lexical', tokenizer })).toEqual({ query: '   ', mode: 'lexical', hits: [], ms: 0 });
    expect(log).toEqual([]);
  });

  it('lexical: display-ready hits, one per link (the best chunk of a section), links with their anchor', async () => {
    const { r } = reader();
    const res = await searchSite(r, ' Apple banana apple ', { mode: 'lexical', tokenizer });
    expect(res.query).toBe(' Apple banana apple ');
    expect(res.mode).toBe('lexical');
    expect(res.ms).toBeGreaterThanOrEqual(0);
    // Passage 1 shares passage 0's link (a.html#intro) and ranks lower: left out.
    expect(res.hits.map((x) => [x.passage, x.url])).toEqual([
      [0, 'a.html#intro'],
      [2, 'b.html'],
      [3, 'c.html#x'],
    ]);
    expect(res.hits[0]).toMatchObject({ title: 'A', heading: 'Intro', snippet: { text: 'apple banana', marks: [[0, 5], [6, 12]] } });
    expect(res.hits[0]!.score).toBeCloseTo(2 * IDF_APPLE + IDF_BANANA, 5);
    expect(res.hits[0]!.signals.lexical!.rank).toBe(1);
    // k counts links, not chunks. apple + banana once each: p2 = 2·idf(banana) = 1.75 beats p0 = idf(apple) + idf(banana) = 1.41.
    expect((await searchSite(r, 'apple banana', { mode: 'lexical', tokenizer, k: 2 })).hits.map((x) => x.passage)).toEqual([2, 0]);
    // Snippet length is passed through.
    const short = await searchSite(r, 'cherry', { mode: 'lexical', tokenizer, k: 1, snippetLength: 8 });
    expect(short.hits[0]!.snippet.text.length).toBeLessThan('cherry apple apple'.length);
  });

  it('model modes need the encoder, and name the mode', async () => {
    const { r } = reader();
    await expect(searchSite(r, 'apple', { mode: 'sparse', tokenizer })).rejects.toMatchObject({
      code: 'NOT_READY',
      message: 'The sparse mode needs the model, which has not loaded.',
      details: { mode: 'sparse' },
    });
  });

  it('model modes encode the trimmed query once, as a query', async () => {
    const { r } = reader();
    const seen: [string[], unknown][] = [];
    const encoder = {
      encode: async (texts: readonly string[], o?: unknown): Promise<Encoded[]> => {
        seen.push([[...texts], o]);
        return [query([0, 0], [[10, 1], [12, 2]])];
      },
    };
    const res = await searchSite(r, '  apple cherry ', { mode: 'sparse', tokenizer, encoder, k: 2 });
    expect(seen).toEqual([[['apple cherry'], { kind: 'query' }]]);
    // Sparse: p3 1, p0 0.5, p1 0.5 (p1 shares p0's link).
    expect(res.hits.map((x) => x.passage)).toEqual([3, 0]);
    expect(res.hits[0]!.url).toBe('c.html#x');
    expect(res.mode).toBe('sparse');
  });
});
