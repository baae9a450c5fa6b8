// The static-site reader against a hand-made five-passage index held in memory:
// every score below is worked out by hand (BM25 with Math.log, dot products of
// small integers with power-of-two scales), and every fetch is logged, so the
// tests also say which files a query needs. The index is a valid one (the
// reader checks what it reads, src/site/integrity.ts): files are named
// `shards/<stem>.<first 10 hex digits of their SHA-256>.<ext>` as write.ts
// names them, the manifest declares their true sizes and carries its own build
// hash; tests name files by stem through `F`.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Encoded } from '../../src/core/types.js';
import { invalidFile, verifyFileHash, verifyManifestBuild } from '../../src/site/integrity.js';
import { SiteIndexReader, type LoadFile } from '../../src/site/query.js';
import { searchSite } from '../../src/site/search.js';
import { encodeKeywordShard, type KeywordEntry } from '../../src/site/keyword-shards.js';
import { encodeDenseShard, encodeMetaShard, encodeMultiShard, encodePostingsShard, packHashes, type TermPostings } from '../../src/site/shards.js';
import type { PassageMeta, SiteManifest } from '../../src/site/types.js';
import { float32ToFloat16 } from '../../src/core/quantize.js';

// Words → token ids; postings shard = id % 2.
const TOKENS: Record<string, number> = { apple: 10, banana: 11, cherry: 12, date: 13 };
/** A stored keyword weight (1…255 of k1 + 1) and its multiples 1.5× and 2× stay integers. */
const Q1 = 100;
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
const term = (token: number, sparse: number[], sparseW: number[]): TermPostings => ({ token, passages: Uint32Array.from(sparse), weights: h(sparseW) });
/** A keyword entry: a word in `passages` with stored BM25 weights q (1…255 of k1 + 1). */
const word = (key: string, passages: number[], q: number[]): KeywordEntry => ({
  key,
  surface: { docs: passages.length, term: key },
  postings: { passages: Uint32Array.from(passages), weights: Uint8Array.from(q) },
});
const denseShard = (first: number, count: number): Uint8Array =>
  encodeDenseShard({ first, count, dim: 2, q: Int8Array.from(DENSE_Q.slice(first, first + count).flat()), scales: new Float32Array(count).fill(0.25) });
/** gzip as write.ts compresses, as a plain Uint8Array (a Buffer's slice() would share its bytes). */
const gz = (b: Uint8Array): Uint8Array => new Uint8Array(gzipSync(b));
const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Stems of the index's files (write.ts's names without the hash). */
type Stem = 'kw-0' | 'kw-1' | 'dense-0' | 'dense-1' | 'post-0' | 'post-1' | 'multi-0' | 'multi-1' | 'multi-table' | 'meta-0' | 'meta-1' | 'hashes';

interface HandIndex {
  /** Stem → the file's name as the manifest lists it. */
  name: Record<Stem, string>;
  /** Name → bytes, every file of the index. */
  files: Map<string, Uint8Array>;
  manifest(multi: 'float16' | 'none'): SiteManifest;
}

/** The hand-made index; `replace` puts other bytes under a stem (named, sized and listed for what they are). */
function handIndex(replace: Partial<Record<Stem, Uint8Array>> = {}): HandIndex {
  const name = {} as Record<Stem, string>;
  const files = new Map<string, Uint8Array>();
  const put = (stem: Stem, ext: string, clean: Uint8Array): { file: string; bytes: number } => {
    const b = replace[stem] ?? clean;
    const file = `shards/${stem}.${sha256Hex(b).slice(0, 10)}.${ext}`;
    name[stem] = file;
    files.set(file, b);
    return { file, bytes: b.length };
  };
  // Range files in the manifest's key order (file, first, count, bytes).
  const range = (stem: Stem, ext: string, first: number, count: number, clean: Uint8Array) => {
    const { file, bytes } = put(stem, ext, clean);
    return { file, first, count, bytes };
  };
  const dense = [range('dense-0', 'bin', 0, 3, denseShard(0, 3)), range('dense-1', 'bin', 3, 2, denseShard(3, 2))];
  // Keyword shards, split between "banana" and "cherry": document-side BM25 weights as stored (Q1 = 1×, 1.5×, 2×).
  const kw = [
    { file: put('kw-0', 'bin', gz(encodeKeywordShard({ shard: 0, entries: [word('apple', [0, 1, 3], [Q1, Q1, 1.5 * Q1]), word('banana', [0, 2], [Q1, 2 * Q1])] }))), first: '' },
    { file: put('kw-1', 'bin', gz(encodeKeywordShard({ shard: 1, entries: [word('cherry', [1, 3], [Q1, Q1]), word('date', [4], [Q1])] }))), first: 'c' },
  ].map(({ file, first }) => ({ file: file.file, first, bytes: file.bytes }));
  // Learned sparse weights per passage.
  const postings = [encodePostingsShard(0, [term(10, [0, 3], [0.5, 1]), term(12, [1], [0.25])]), encodePostingsShard(1, [term(11, [2], [2])])];
  const post = postings.map((p, i) => put(`post-${i}` as Stem, 'bin', p));
  const row = (rows: number[][]) => ({ kind: 'float16' as const, count: rows.length, data: h(rows.flat()) });
  const multi = [
    range('multi-0', 'bin', 0, 3, encodeMultiShard({ first: 0, dim: 2, rows: [row([[1, 0]]), row([[0, 1]]), null] }, 'float16')),
    range('multi-1', 'bin', 3, 2, encodeMultiShard({ first: 3, dim: 2, rows: [row([[0, 1], [1, 0]]), row([[-1, 0]])] }, 'float16')),
  ];
  const table = put('multi-table', 'json', new TextEncoder().encode(JSON.stringify(multi)));
  const meta = [range('meta-0', 'bin', 0, 3, gz(encodeMetaShard(0, META.slice(0, 3)))), range('meta-1', 'bin', 3, 2, gz(encodeMetaShard(3, META.slice(3))))];
  const hashes = put('hashes', 'bin', packHashes(['0a1b2c3d4e5f', '1a1b2c3d4e5f', '2a1b2c3d4e5f', '3a1b2c3d4e5f', '4a1b2c3d4e5f']));
  const sum = (xs: { bytes: number }[]): number => xs.reduce((s, x) => s + x.bytes, 0);
  const manifest = (kind: 'float16' | 'none'): SiteManifest =>
    seal({
      format: 'm3search-site',
      version: 2,
      build: '',
      createdAt: '2026-01-01T00:00:00.000Z',
      siteRoot: '../',
      model: { id: 'hand', fingerprint: 'hand-1', maxLength: 64, denseDim: 2, multiDim: 2, sparseStyle: 'lexical' },
      chunking: { maxTokens: 64, overlapTokens: 0 },
      counts: { pages: 4, sections: 4, passages: 5, chunkedSections: 1, terms: 12 },
      keyword: { analyzer: { language: null, stemmers: [], wordGrams: 0 }, k1: 1.2, b: 0.75, titleBoost: 2 },
      shards: {
        hashes,
        dense: { storage: 'int8', files: dense },
        keyword: { files: kw },
        postings: { count: 2, files: post.map((p) => p.file), bytes: post.map((p) => p.bytes) },
        multi: kind === 'none' ? { storage: 'none', count: 0, table: null } : { storage: 'float16', layout: 'all', maxRows: null, count: 2, table },
        meta: { files: meta },
      },
      bytes: {
        dense: sum(dense),
        keyword: sum(kw),
        sparse: sum(post),
        multi: kind === 'none' ? 0 : sum(multi) + table.bytes,
        meta: sum(meta) + hashes.bytes,
        manifest: 0,
        total: 0,
      },
    });
  return { name, files, manifest };
}

/** `build` as build.ts computes it (SHA-256 of the manifest without build/createdAt, bytes.manifest/total at 0), then the manifest's own size and the total. */
function seal(m: SiteManifest): SiteManifest {
  const { build: _build, createdAt: _createdAt, ...rest } = m;
  const body = { ...rest, bytes: { ...rest.bytes, manifest: 0, total: 0 } };
  const out: SiteManifest = { ...m, build: sha256Hex(new TextEncoder().encode(JSON.stringify(body))).slice(0, 16), bytes: { ...body.bytes } };
  out.bytes.manifest = JSON.stringify(out).length;
  out.bytes.total = Object.entries(out.bytes).reduce((s, [k, v]) => (k === 'total' ? s : s + v), 0);
  return out;
}

const INDEX = handIndex();
/** Stem → file name in the clean index. */
const F = INDEX.name;
const manifest = INDEX.manifest;

/** The offline error a page's loader throws when the network never answered (site-session.ts fetchFile on fetch's TypeError). */
const offlineError = (name: string): Error => invalidFile(name, `Cannot fetch ${name}: fetch failed (offline)`, 'offline');

function reader(
  opts: {
    multi?: 'float16' | 'none';
    /** The read fails with a plain error (a missing file, a broken disk: not the network). */
    fail?: (name: string) => boolean;
    /** The network is unreachable for this file. */
    offline?: (name: string) => boolean;
    /** Bytes served in place of a file (the manifest still names the clean one). */
    serve?: Record<string, Uint8Array>;
    index?: HandIndex;
  } = {},
): { r: SiteIndexReader; log: string[] } {
  const index = opts.index ?? INDEX;
  const log: string[] = [];
  const load: LoadFile = async (name) => {
    log.push(name);
    if (opts.offline?.(name)) throw offlineError(name);
    if (opts.fail?.(name)) throw new Error(`unreadable: ${name}`);
    const served = opts.serve?.[name];
    if (served) return served;
    const b = index.files.get(name);
    if (!b) throw new Error(`no file ${name}`);
    return b;
  };
  return { r: new SiteIndexReader(index.manifest(opts.multi ?? 'float16'), load), log };
}

const query = (dense: number[], sparse: [number, number][], multi: number[][] = []): Encoded => ({
  dense: Float32Array.from(dense),
  sparse: { ids: Uint32Array.from(sparse.map(([i]) => i)), weights: Float32Array.from(sparse.map(([, w]) => w)) },
  multi: { data: Float32Array.from(multi.flat()), count: multi.length, dim: 2 },
  tokens: 2,
  truncated: false,
});
// BM25 by hand, N = 5: idf = ln(1 + (N − df + 0.5) / (df + 0.5)).
const IDF_APPLE = Math.log(1 + 2.5 / 3.5); // df 3
const IDF_BANANA = Math.log(1 + 3.5 / 2.5); // df 2
/** Document weight W1 stored as Q1 of 255 steps of k1 + 1 = 2.2. */
const W1 = (Q1 * 2.2) / 255;

describe('SiteIndexReader', () => {
  it('the hand-made index passes the integrity checks: build hash, hashed names, declared sizes', async () => {
    for (const kind of ['float16', 'none'] as const) {
      const m = manifest(kind);
      expect(m.build).toMatch(/^[0-9a-f]{16}$/);
      await expect(verifyManifestBuild(m, 'manifest.json')).resolves.toBeUndefined();
      await expect(verifyManifestBuild({ ...m, counts: { ...m.counts, terms: 13 } }, 'manifest.json')).rejects.toMatchObject({ code: 'INVALID_INDEX', details: { reason: 'hash' } });
    }
    const m = manifest('float16');
    const table = JSON.parse(new TextDecoder().decode(INDEX.files.get(m.shards.multi.table!.file)!)) as { file: string; bytes: number }[];
    const declared: [string, number][] = [
      ...m.shards.keyword.files.map((f): [string, number] => [f.file, f.bytes]),
      ...m.shards.dense.files.map((f): [string, number] => [f.file, f.bytes]),
      ...m.shards.postings.files.map((f, i): [string, number] => [f, m.shards.postings.bytes[i]!]),
      ...m.shards.meta.files.map((f): [string, number] => [f.file, f.bytes]),
      [m.shards.multi.table!.file, m.shards.multi.table!.bytes],
      ...table.map((f): [string, number] => [f.file, f.bytes]),
      [m.shards.hashes.file, m.shards.hashes.bytes],
    ];
    expect(declared.map(([f]) => f).sort()).toEqual([...INDEX.files.keys()].sort());
    for (const [file, bytes] of declared) {
      expect(file).toMatch(/^shards\/[a-z-]+(-\d)?\.[0-9a-f]{10}\.(bin|json)$/);
      expect(INDEX.files.get(file)!.length).toBe(bytes);
      await expect(verifyFileHash(file, INDEX.files.get(file)!)).resolves.toBeUndefined();
    }
  });

  it('keyword: Σ query tf·idf × stored document weight, best first, ranks from 1', async () => {
    const { r, log } = reader();
    // apple twice, banana once (the trailing space: no completions of the last word).
    const hits = await r.keyword('apple banana apple ');
    const expected: [number, number][] = [
      [0, W1 * (2 * IDF_APPLE + IDF_BANANA)],
      [2, W1 * 2 * IDF_BANANA],
      [3, W1 * 2 * IDF_APPLE * 1.5],
      [1, W1 * 2 * IDF_APPLE],
    ];
    expect(hits.map((x) => x.passage)).toEqual(expected.map(([p]) => p));
    hits.forEach((x, i) => {
      expect(x.score).toBeCloseTo(expected[i]![1], 5);
      expect(x.signals).toEqual({ keyword: { score: x.score, rank: i + 1 } });
    });
    // Only the keyword shard holding both words; no tokenizer, no sparse postings.
    expect(log).toEqual([F['kw-0']]);
    expect((await r.keyword('apple banana apple ', 2)).map((x) => x.passage)).toEqual([0, 2]);
    // Words the index lacks fail the minimum match: nothing, not noise.
    expect(await r.keyword('zebra quokka ')).toEqual([]);
    expect(await r.keyword('   ')).toEqual([]);
    // Half the words must occur: one of two is enough, one of three is not.
    expect((await r.keyword('date zebra ')).map((x) => x.passage)).toEqual([4]);
    expect(await r.keyword('date zebra quokka ')).toEqual([]);
  });

  it('keyword: the word being typed completes within its shard; a typo is corrected; a phrase is checked on the text', async () => {
    const { r, log } = reader();
    // "cher" (no trailing space) completes to cherry, at half weight: p1 and p3 hold it once each.
    const typed = await r.keyword('cher');
    expect(typed.map((x) => x.passage)).toEqual([1, 3]);
    expect(typed[0]!.score).toBeCloseTo(W1 * 0.5 * Math.log(1 + 3.5 / 2.5), 5);
    expect(log).toEqual([F['kw-1']]);
    // "banan" + a space is a finished word: absent, so corrected to banana (1 edit) at full weight.
    expect((await r.keyword('banan ')).map((x) => x.passage)).toEqual([2, 0]);
    // A quoted phrase keeps only passages whose text holds the words in order: p3 "cherry apple apple", not p1 "apple cherry".
    expect((await r.keyword('"cherry apple"')).map((x) => x.passage)).toEqual([3]);
    expect(await r.keyword('"banana cherry"')).toEqual([]);
  });

  it('postings: only the shards the tokens hash to, each fetched once; absent tokens left out', async () => {
    const { r, log } = reader();
    const p = await r.postings([12, 12, 10, 20]);
    expect([...p.keys()].sort()).toEqual([10, 12]);
    expect([...p.get(12)!.passages]).toEqual([1]);
    expect(log).toEqual([F['post-0']]);
    await r.postings([11, 10]);
    expect(log).toEqual([F['post-0'], F['post-1']]);
  });

  it('sparse mode: Σ query weight × stored weight; zero query weights ignored; ties by passage', async () => {
    const { r, log } = reader();
    // apple 1, cherry 2: p3 = 1·1 = 1, p0 = 1·0.5, p1 = 2·0.25 = 0.5.
    const hits = await r.search(query([0, 0], [[10, 1], [12, 2]]), { mode: 'sparse', k: 5 });
    expect(hits.map((x) => [x.passage, x.score])).toEqual([[3, 1], [0, 0.5], [1, 0.5]]);
    expect(hits[0]!.signals.sparse).toEqual({ score: 1, rank: 1 });
    expect(log.some((f) => f === F['dense-0'] || f === F['dense-1'])).toBe(false);
    const zero = await r.search(query([0, 0], [[10, 1], [11, 0]]), { mode: 'sparse', k: 5 });
    expect(zero.map((x) => x.passage)).toEqual([3, 0]);
  });

  it('dense mode: int8 rows × their scale, over both dense shards', async () => {
    const { r, log } = reader({ multi: 'none' });
    const hits = await r.search(query([1, 0], []), { mode: 'dense', k: 5 });
    expect(hits.map((x) => [x.passage, x.score])).toEqual([[0, 1], [3, 0.75], [1, 0.5], [2, 0], [4, -1]]);
    expect(hits.map((x) => x.signals.dense!.rank)).toEqual([1, 2, 3, 4, 5]);
    expect(log.filter((f) => f.startsWith('shards/dense-')).sort()).toEqual([F['dense-0'], F['dense-1']]);
    // A query vector of another size: the index was built with another model.
    await expect(r.search(query([1, 0, 0], []), { mode: 'dense' })).rejects.toMatchObject({ code: 'MODEL_MISMATCH' });
  });

  it('dense shards of another width are refused as INVALID_INDEX, naming the file', async () => {
    // 1-dim rows, 2 passages: 20 + 2·(4 + 1) + 2 padding = 32 bytes, the size 2-dim rows have, so it is listed as it is and only its contents disagree.
    const narrow = handIndex({ 'dense-1': encodeDenseShard({ first: 3, count: 2, dim: 1, q: Int8Array.of(1, 1), scales: Float32Array.of(1, 1) }) });
    const file = narrow.name['dense-1'];
    expect(narrow.manifest('none').shards.dense.files[1]).toEqual({ file, first: 3, count: 2, bytes: 32 });
    const e = await reader({ multi: 'none', index: narrow }).r.search(query([1, 0], []), { mode: 'dense' }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'INVALID_INDEX', message: `${file} is not a valid m3search shard: holds 1-dim vectors, the manifest says 2`, details: { file, reason: 'decode' } });
    // 3-dim rows where the manifest lists a 2-dim shard: 20 + 2·(4 + 3) + 2 = 36 bytes, not the 32 declared.
    const wide = encodeDenseShard({ first: 3, count: 2, dim: 3, q: new Int8Array(6), scales: new Float32Array(2) });
    const w = await reader({ multi: 'none', serve: { [F['dense-1']]: wide } }).r.search(query([1, 0], []), { mode: 'dense' }).catch((x: unknown) => x);
    expect(w).toMatchObject({ code: 'INVALID_INDEX', message: `${F['dense-1']} is 36 bytes, the index says 32.`, details: { file: F['dense-1'], reason: 'size' } });
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
    expect(log).toContain(F['multi-table']);
    expect(log).toContain(F['multi-1']);
  });

  it('a query with token vectors only scores every passage by MaxSim (a passage without rows scores 0)', async () => {
    const { r } = reader();
    // Query row [1, 0]: p0 1, p1 0, p2 none → 0, p3 max(0, 1) = 1, p4 −1.
    const hits = await r.search(query([0, 0], [], [[1, 0]]), { mode: 'multi', k: 5 });
    expect(hits.map((x) => x.passage)).toEqual([0, 3, 1, 2, 4]);
    expect(hits.map((x) => x.score)).toEqual([1, 1, 0, 0, -1]);
  });

  it('multi-vector shards the network cannot reach leave the multi signal out (offline copy); any other failure is INVALID_INDEX', async () => {
    // Offline (the loader's reason 'offline', as a page's fetch failing with a TypeError): table and shards alike.
    const noMulti = reader({ multi: 'none' });
    const plain = await noMulti.r.search(query([1, 0], [[10, 1]], [[1, 0]]), { mode: 'hybrid', k: 3 });
    for (const offline of [(n: string) => n.startsWith('shards/multi'), (n: string) => n === F['multi-0'] || n === F['multi-1']]) {
      const { r, log } = reader({ offline });
      const hits = await r.search(query([1, 0], [[10, 1]], [[1, 0]]), { mode: 'hybrid', k: 3 });
      expect(hits.length).toBeGreaterThan(0);
      for (const x of hits) expect(x.signals.multi).toBeUndefined();
      // Ranked by dense + sparse, as on an index without multi-vectors.
      expect(hits).toEqual(plain);
      expect(log).toContain(F['multi-table']);
    }
    // A shard that cannot be read for another reason (missing, HTTP error, disk) is a broken index, named (no longer dropped as if offline).
    const { r } = reader({ fail: (n) => n === F['multi-1'] });
    const e = await r.search(query([1, 0], [[10, 1]], [[1, 0]]), { mode: 'hybrid', k: 3 }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'INVALID_INDEX', message: `Cannot read ${F['multi-1']}: unreadable: ${F['multi-1']}`, details: { file: F['multi-1'], reason: 'missing' } });
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
    expect(log).toEqual([F['meta-1'], F['meta-0']]);
    await expect(r.meta([5])).rejects.toMatchObject({ code: 'INVALID_INDEX', message: 'passage 5 is not in the index (5 passages).', details: { passage: 5 } });
  });

  it('a file of another length than the manifest (or the multi-vector table) declares is INVALID_INDEX "size", for every kind of file', async () => {
    const table = JSON.parse(new TextDecoder().decode(INDEX.files.get(F['multi-table'])!)) as { file: string }[];
    const reads: [string, (r: SiteIndexReader) => Promise<unknown>][] = [
      [F['dense-0'], (r) => r.search(query([1, 0], []), { mode: 'dense', k: 2 })],
      [F['post-0'], (r) => r.search(query([1, 0], [[10, 1]]), { mode: 'sparse', k: 2 })],
      [F['kw-0'], (r) => r.keyword('apple', 2)],
      [F['meta-0'], (r) => r.meta([0])],
      [F['multi-table'], (r) => r.multiFiles()],
      [table[0]!.file, (r) => r.search(query([], [], [[1, 0]]), { mode: 'multi', k: 2 })],
    ];
    for (const [name, read] of reads) {
      const clean = INDEX.files.get(name)!;
      const { r } = reader({ serve: { [name]: clean.subarray(0, clean.length - 1) } });
      await expect(read(r), name).rejects.toMatchObject({
        code: 'INVALID_INDEX',
        message: `${name} is ${clean.length - 1} bytes, the index says ${clean.length}.`,
        details: { file: name, reason: 'size' },
      });
    }
  });

  it('a decoder’s own INVALID_INDEX about the file is passed on as it is, not wrapped', async () => {
    // A well-formed, correctly hashed and sized table whose entry names a range the index does not have.
    const index = handIndex({ 'multi-table': new TextEncoder().encode(JSON.stringify([{ file: 'shards/x.0123456789.bin', first: 0, count: 99, bytes: 1 }])) });
    const { r } = reader({ index });
    const e = await r.multiFiles().then(() => undefined, (x: unknown) => x as { code: string; message: string; details: Record<string, unknown> });
    expect(e).toMatchObject({ code: 'INVALID_INDEX', details: { file: index.name['multi-table'], reason: 'decode' } });
    expect(e!.message.startsWith(`${index.name['multi-table']} is not a valid multi-vector table: `)).toBe(true);
  });

  it('a file that arrives but does not decode is INVALID_INDEX naming it; a failed fetch is retried next time', async () => {
    // Listed under its own hash and size, so only decoding can tell.
    const broken = handIndex({ 'kw-0': Uint8Array.of(1, 2, 3) });
    const file = broken.name['kw-0'];
    const e = await reader({ index: broken }).r.keyword('apple').catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'INVALID_INDEX', details: { file, reason: 'decode' } });
    expect((e as Error).message.startsWith(`${file} is not a valid m3search shard: `)).toBe(true);
    // The same bytes where the manifest lists the clean shard: not its size; the clean size with one bit flipped: not its hash.
    const short = await reader({ serve: { [F['kw-0']]: Uint8Array.of(1, 2, 3) } }).r.keyword('apple').catch((x: unknown) => x);
    expect(short).toMatchObject({ code: 'INVALID_INDEX', message: `${F['kw-0']} is 3 bytes, the index says ${INDEX.files.get(F['kw-0'])!.length}.`, details: { file: F['kw-0'], reason: 'size' } });
    const flipped = INDEX.files.get(F['kw-0'])!.slice();
    flipped[flipped.length - 1]! ^= 1;
    const bit = await reader({ serve: { [F['kw-0']]: flipped } }).r.keyword('apple').catch((x: unknown) => x);
    expect(bit).toMatchObject({ code: 'INVALID_INDEX', details: { file: F['kw-0'], reason: 'hash' } });
    expect((bit as Error).message).toMatch(new RegExp(`^${F['kw-0'].replace(/\./g, '\\.')} is corrupt: its SHA-256 starts [0-9a-f]{10}, its name says ${F['kw-0'].split('.')[1]}\\.$`));
    // Offline, then unreadable, then back: each failure is passed on and the next query fetches again.
    let down: 'offline' | 'fail' | undefined = 'offline';
    const flaky = reader({ offline: () => down === 'offline', fail: () => down === 'fail' });
    await expect(flaky.r.keyword('apple ')).rejects.toMatchObject({ code: 'INVALID_INDEX', message: `Cannot fetch ${F['kw-0']}: fetch failed (offline)`, details: { file: F['kw-0'], reason: 'offline' } });
    down = 'fail';
    await expect(flaky.r.keyword('apple ')).rejects.toMatchObject({ code: 'INVALID_INDEX', message: `Cannot read ${F['kw-0']}: unreadable: ${F['kw-0']}`, details: { file: F['kw-0'], reason: 'missing' } });
    down = undefined;
    expect((await flaky.r.keyword('apple ')).map((x) => x.passage)).toEqual([3, 0, 1]);
    expect(flaky.log).toEqual([F['kw-0'], F['kw-0'], F['kw-0']]);
  });

  it('file lists: the offline copy leaves out the multi-vector shards; all files add the table and its shards', async () => {
    const { r } = reader();
    expect(r.offlineFiles()).toEqual([F['kw-0'], F['kw-1'], F['dense-0'], F['dense-1'], F['post-0'], F['post-1'], F['meta-0'], F['meta-1']]);
    expect(await r.allFiles()).toEqual([...r.offlineFiles(), F['multi-table'], F['multi-0'], F['multi-1']]);
    expect(r.multiLayout).toEqual({ layout: 'all', maxRows: null });
    const none = reader({ multi: 'none' });
    expect(await none.r.multiFiles()).toEqual([]);
    expect(await none.r.allFiles()).toEqual(none.r.offlineFiles());
    // A nested build (the manifest must stay consistent: int8 storage comes with a table).
    const m = manifest('float16');
    const nestedManifest = seal({ ...m, shards: { ...m.shards, multi: { storage: 'int8', layout: 'nested', maxRows: 4, count: 2, table: m.shards.multi.table } } });
    const nested = new SiteIndexReader(nestedManifest, async () => new Uint8Array());
    expect(nested.multiLayout).toEqual({ layout: 'nested', maxRows: 4 });
  });
});

describe('searchSite', () => {
  it('a blank query answers nothing without fetching', async () => {
    const { r, log } = reader();
    expect(await searchSite(r, '   ', { mode: 'keyword' })).toEqual({ query: '   ', mode: 'keyword', hits: [], ms: 0 });
    expect(log).toEqual([]);
  });

  it('keyword: display-ready hits, one per link (the best chunk of a section), links with their anchor', async () => {
    const { r } = reader();
    const res = await searchSite(r, ' Apple banana apple ', { mode: 'keyword' });
    expect(res.query).toBe(' Apple banana apple ');
    expect(res.mode).toBe('keyword');
    expect(res.ms).toBeGreaterThanOrEqual(0);
    // Passage 1 shares passage 0's link (a.html#intro) and ranks lower: left out.
    expect(res.hits.map((x) => [x.passage, x.url])).toEqual([
      [0, 'a.html#intro'],
      [2, 'b.html'],
      [3, 'c.html#x'],
    ]);
    expect(res.hits[0]).toMatchObject({ title: 'A', heading: 'Intro', snippet: { text: 'apple banana', marks: [[0, 5], [6, 12]] } });
    expect(res.hits[0]!.score).toBeCloseTo(W1 * (2 * IDF_APPLE + IDF_BANANA), 5);
    expect(res.hits[0]!.signals.keyword!.rank).toBe(1);
    // k counts links, not chunks. apple + banana once each: p2 = 2·idf(banana) = 1.75 beats p0 = idf(apple) + idf(banana) = 1.41.
    expect((await searchSite(r, 'apple banana ', { mode: 'keyword', k: 2 })).hits.map((x) => x.passage)).toEqual([2, 0]);
    // Snippet length is passed through.
    const short = await searchSite(r, 'cherry', { mode: 'keyword', k: 1, snippetLength: 8 });
    expect(short.hits[0]!.snippet.text.length).toBeLessThan('cherry apple apple'.length);
  });

  it('model modes need the encoder, and name the mode', async () => {
    const { r } = reader();
    await expect(searchSite(r, 'apple', { mode: 'sparse' })).rejects.toMatchObject({
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
    const res = await searchSite(r, '  apple cherry ', { mode: 'sparse', encoder, k: 2 });
    expect(seen).toEqual([[['apple cherry'], { kind: 'query' }]]);
    // Sparse: p3 1, p0 0.5, p1 0.5 (p1 shares p0's link).
    expect(res.hits.map((x) => x.passage)).toEqual([3, 0]);
    expect(res.hits[0]!.url).toBe('c.html#x');
    expect(res.mode).toBe('sparse');
  });
});
