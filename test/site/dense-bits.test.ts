// The 1-bit first pass over a static site's dense rows (FORMAT.md, "1-bit
// pass"): sign codes score every passage, the int8 rows of the best are
// fetched and rescored. Built with a word-hash stand-in encoder (no ONNX, so
// the suite is fast enough to run against every mutant of the reader) at 32
// and 256 dimensions, the pass forced on, one row per block, several
// sign-code files.
// Where the sign codes' candidates hold the exact int8 first stage, the
// ranking must be the full scan's, score for score; the rows fetched are only
// the candidates'; an index without the pass, or a reader told not to use it,
// scans every row; offline, the pass falls back to the full rows.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packSigns, SignScorer, signBytes } from '../../src/core/sign-bits.js';
import type { Encoder } from '../../src/core/encoder.js';
import { seededRandom } from '../../src/eval/random.js';
import type { Doc, Encoded } from '../../src/core/types.js';
import { buildSiteIndex, denseBitsAuto } from '../../src/site/build.js';
import { invalidFile } from '../../src/site/integrity.js';
import { openIndexDir } from '../../src/site/node-reader.js';
import { buildFiles } from '../../src/site/previous.js';
import { rescoreDepth, SiteIndexReader, type RankedPassage } from '../../src/site/query.js';
import { decodeBitsShard, decodeDenseShard, encodeBitsShard } from '../../src/site/shards.js';
import type { SiteManifest } from '../../src/site/types.js';
import { sampleCorpus } from '../e2e/support.js';
import { fakeEncoder } from './fake-encoder.js';

const QUERIES = [
  'service worker cache',
  'python list comprehension',
  'capital of France',
  'how to read a file',
  'mountain weather forecast',
  'database index query plan',
  'music and rhythm',
  'cooking pasta sauce',
  'the history of the printing press',
  'solar energy panels',
  'machine learning model training',
  'ancient rome empire',
];

let dir: string;
let encoder: Encoder;
/** A site of 256-dim word-hash vectors: sign codes that rank well (the test model's 32-dim vectors all point one way). */
let wide: string;
let wideEncoder: Encoder;
let withBits: string;
let withoutBits: string;
let manifest: SiteManifest;
let docs: Doc[];

/** The sample corpus cut into sentences: several hundred short passages, more than any candidate pool below. */
async function sentences(): Promise<Doc[]> {
  const out: Doc[] = [];
  for (const d of await sampleCorpus()) {
    for (const s of d.text.split(/(?<=[.!?])\s+/)) if (s.split(/\s+/).length >= 4) out.push({ id: `${d.id}-${out.length}`, text: s });
  }
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'm3s-dense-bits-'));
  encoder = wordHashEncoder(32);
  // A couple of hundred passages: enough for every pool below, few enough to build three sites in a few seconds.
  docs = (await sentences()).slice(0, 240);
  withBits = path.join(dir, 'bits');
  withoutBits = path.join(dir, 'plain');
  // One row per block (rowBytes below one row) and small sign-code files: several of each.
  const targets = { rowBytes: 1, bitsBytes: 256 };
  await buildSiteIndex({ site: dir, out: withBits, encoder, documents: docs, denseBits: 'on', targets });
  await buildSiteIndex({ site: dir, out: withoutBits, encoder, documents: docs, denseBits: 'off', targets });
  manifest = JSON.parse(await readFile(path.join(withBits, 'manifest.json'), 'utf8')) as SiteManifest;
  wide = path.join(dir, 'wide');
  wideEncoder = wordHashEncoder(256);
  await buildSiteIndex({ site: dir, out: wide, encoder: wideEncoder, documents: docs, denseBits: 'on', targets });
}, 180_000);

/**
 * The fake encoder's tokens, sparse and multi-vectors, with a `dim`-dim dense
 * vector: the normalized sum of one seeded Gaussian vector per word (its signs
 * are random hyperplanes of the words, so they rank as binary codes of real
 * embeddings do).
 */
function wordHashEncoder(dim: number): Encoder {
  const base = fakeEncoder();
  const seen = new Map<string, Float32Array>();
  const vec = (word: string): Float32Array => {
    let v = seen.get(word);
    if (v === undefined) seen.set(word, (v = draw(word)));
    return v;
  };
  const draw = (word: string): Float32Array => {
    let h = 2166136261;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 16777619);
    const rnd = seededRandom(h >>> 0);
    return Float32Array.from({ length: dim }, () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd()));
  };
  return {
    ...base,
    info: { ...base.info, fingerprint: `word-hash-${dim}`, denseDim: dim },
    async encode(texts, opts) {
      const out = await base.encode(texts, opts);
      return out.map((e, i) => {
        const dense = new Float32Array(dim);
        for (const w of texts[i]!.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) vec(w).forEach((x, d) => (dense[d]! += x));
        const norm = Math.hypot(...dense) || 1;
        return { ...e, dense: dense.map((x) => x / norm) };
      });
    },
  };
}

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The same site read without the pass: every int8 row scanned (the ranking the pass must reproduce). */
async function fullScan(out = withBits): Promise<SiteIndexReader> {
  const m = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as SiteManifest;
  return new SiteIndexReader(m, (name) => readFile(path.join(out, name)).then((b) => new Uint8Array(b)), { denseBits: false });
}

/** A reader over `out` that logs the files it reads. */
async function logged(out: string): Promise<{ reader: SiteIndexReader; files: string[] }> {
  const files: string[] = [];
  const reader = await openIndexDir(out, (f) => files.push(f));
  return { reader, files };
}

const query = async (q: string): Promise<Encoded> => (await encoder.encode([q], { kind: 'query' }))[0]!;

/** Every passage's exact int8 score and sign-code score, read from the index's files. */
async function scoresOf(out: string, manifest: SiteManifest, q: Float32Array): Promise<{ exact: Float32Array; signs: Float32Array }> {
  const n = manifest.counts.passages;
  const exact = new Float32Array(n);
  for (const f of manifest.shards.dense.files) {
    const s = decodeDenseShard(new Uint8Array(await readFile(path.join(out, f.file))));
    for (let i = 0; i < s.count; i++) {
      let dot = 0;
      for (let d = 0; d < s.dim; d++) dot += q[d]! * s.q[i * s.dim + d]!;
      exact[s.first + i] = dot * s.scales[i]!;
    }
  }
  const signs = new Float32Array(n);
  const scorer = new SignScorer(q);
  for (const f of manifest.shards.dense.bits!.files) {
    const s = decodeBitsShard(new Uint8Array(await readFile(path.join(out, f.file))));
    scorer.scoreInto(s.codes, s.count, signs, s.first);
  }
  return { exact, signs };
}

const topIds = (scores: Float32Array, n: number): number[] =>
  [...scores.keys()].sort((a, b) => scores[b]! - scores[a]! || a - b).slice(0, n);

describe('sign codes', () => {
  it('pack each int8 value > 0 as a set bit, and score Σ q·(±1) exactly', () => {
    const dim = 13; // not a multiple of 8: the last byte is partial
    const rows = [Array.from({ length: dim }, (_, i) => (i % 3) - 1), Array.from({ length: dim }, (_, i) => (i * 37) % 255 - 127)];
    const codes = packSigns(Int8Array.from(rows.flat()), dim);
    expect(codes.length).toBe(2 * signBytes(dim));
    const q = Float32Array.from({ length: dim }, (_, i) => Math.sin(i + 1));
    const got = new Float32Array(2);
    new SignScorer(q).scoreInto(codes, 2, got, 0);
    rows.forEach((row, r) => {
      const want = row.reduce((s, v, d) => s + q[d]! * (v > 0 ? 1 : -1), 0);
      expect(got[r]).toBeCloseTo(want, 5);
    });
  });

  it('a sign-code file round-trips, and one not starting a row block is refused', () => {
    const s = { first: 6, count: 5, dim: 16, blockRows: 3, codes: Uint8Array.from({ length: 10 }, (_, i) => i * 7), hashes: Uint8Array.from({ length: 10 }, (_, i) => 200 - i) };
    expect(decodeBitsShard(encodeBitsShard(s))).toEqual(s);
    expect(() => decodeBitsShard(encodeBitsShard({ ...s, first: 7 }))).toThrow(/does not start a block/);
  });

  it('a denseBits other than auto, on or off is INVALID_OPTION before anything is read', async () => {
    await expect(buildSiteIndex({ site: path.join(dir, 'none'), out: path.join(dir, 'none-out'), encoder, denseBits: 'yes' as 'on' })).rejects.toMatchObject({ code: 'INVALID_OPTION', details: { denseBits: 'yes' } });
  });

  it('auto: on from 256 dimensions and 2 MiB of rows (BGE-M3: 2,048 passages), off below', () => {
    expect(denseBitsAuto(2048, 1024)).toBe(true);
    expect(denseBitsAuto(2047, 1024)).toBe(false);
    expect(denseBitsAuto(1 << 20, 128)).toBe(false);
    expect(denseBitsAuto(8192, 256)).toBe(true);
  });
});

describe('a site with the 1-bit pass', () => {
  it('records it in the manifest: codes in passage ranges on block boundaries, one row per block', () => {
    const bits = manifest.shards.dense.bits!;
    expect(bits.blockRows).toBe(1);
    expect(bits.blocks).toBe(manifest.counts.passages);
    expect(bits.files.length).toBeGreaterThan(1);
    expect(manifest.bytes.bits).toBeGreaterThan(manifest.bytes.dense); // the rows again, in blocks, plus the codes
    expect(manifest.counts.passages).toBeGreaterThan(4 * rescoreDepth(3, 5));
  });

  it('ranks exactly as the full int8 scan when the sign codes’ candidates hold the exact first stage, fetching only their rows', async () => {
    const k = 3;
    const candidates = 5;
    const depth = rescoreDepth(k, candidates);
    const wideManifest = JSON.parse(await readFile(path.join(wide, 'manifest.json'), 'utf8')) as SiteManifest;
    let held = 0;
    for (const text of QUERIES) {
      const q = (await wideEncoder.encode([text], { kind: 'query' }))[0]!;
      const { exact, signs } = await scoresOf(wide, wideManifest, q.dense);
      const plain = await fullScan(wide);
      const { reader, files } = await logged(wide);
      for (const mode of ['hybrid', 'dense'] as const) {
        const first = mode === 'dense' ? k : candidates;
        // Sparse candidates are rescored too: they count towards holding the exact dense top.
        const pool = new Set(topIds(signs, rescoreDepth(k, first)));
        if (mode === 'hybrid') for (const r of await plain.search(q, { mode: 'sparse', k: candidates })) pool.add(r.passage);
        const holds = topIds(exact, first).every((p) => pool.has(p));
        const got = await reader.search(q, { mode, k, candidates });
        const want = await plain.search(q, { mode, k, candidates });
        if (holds) {
          held++;
          expect(strip(got)).toEqual(strip(want));
        }
      }
      // Row blocks read: at most the sign codes' pool and the sparse candidates, never a full dense file.
      const rows = files.filter((f) => f.startsWith('shards/rows-'));
      expect(new Set(rows).size).toBeLessThanOrEqual(depth + candidates);
      expect(files.some((f) => f.startsWith('shards/dense-'))).toBe(false);
    }
    // Enough (query, mode) pairs meet the condition for the test to check something (10 of 24 when written).
    expect(held).toBeGreaterThanOrEqual(QUERIES.length / 2);
  });

  it('with the candidates forced to hold everything, hybrid and dense rankings equal the full scan for every query', async () => {
    const plain = await fullScan();
    const reader = await openIndexDir(withBits);
    const all = manifest.counts.passages;
    for (const text of QUERIES.slice(0, 4)) {
      const q = await query(text);
      for (const mode of ['hybrid', 'dense', 'multi'] as const) {
        // The pool is every passage (hybrid, multi: candidates ≥ passages; dense: k ≥ passages), so the ranking cannot differ.
        const o = mode === 'dense' ? { mode, k: all } : { mode, k: 5, candidates: all };
        expect({ mode, hits: strip(await reader.search(q, o)) }).toEqual({ mode, hits: strip(await plain.search(q, o)) });
      }
    }
  });

  it('a site built with the pass off has none; a reader told not to use it, and one offline (no row blocks), scan the full rows', async () => {
    const built = JSON.parse(await readFile(path.join(withoutBits, 'manifest.json'), 'utf8')) as SiteManifest;
    expect(built.shards.dense.bits).toBeUndefined();
    expect(built.bytes.bits).toBeUndefined();
    const q = await query(QUERIES[0]!);
    const m = JSON.parse(await readFile(path.join(withBits, 'manifest.json'), 'utf8')) as SiteManifest;
    const fromDisk = (name: string) => readFile(path.join(withBits, name)).then((b) => new Uint8Array(b));
    const read: string[] = [];
    const off = new SiteIndexReader(m, async (name) => (read.push(name), fromDisk(name)), { denseBits: false });
    const plain = await off.search(q, { mode: 'hybrid', k: 5 });
    expect(read.some((f) => f.startsWith('shards/bits-') || f.startsWith('shards/rows-'))).toBe(false);
    read.length = 0;
    const offline = new SiteIndexReader(m, async (name) => {
      read.push(name);
      if (name.startsWith('shards/rows-')) throw invalidFile(name, `Cannot fetch ${name} (offline)`, 'offline');
      return fromDisk(name);
    });
    expect(strip(await offline.search(q, { mode: 'hybrid', k: 5 }))).toEqual(strip(plain));
    expect(read.some((f) => f.startsWith('shards/dense-'))).toBe(true);
  });

  it('the build’s file list (what a rebuild keeps for one build of grace) names every sign-code file and row block on disk', async () => {
    const listed = new Set(await buildFiles(withBits, manifest));
    const onDisk = (await readdir(path.join(withBits, 'shards'))).map((f) => `shards/${f}`);
    expect(onDisk.filter((f) => f.startsWith('shards/rows-')).length).toBe(manifest.shards.dense.bits!.blocks);
    expect(new Set(onDisk)).toEqual(listed);
    // The reader's list of every file (what a full offline copy would fetch) names the same sign-code files and row blocks.
    const all = await (await openIndexDir(withBits)).allFiles();
    expect(all.filter((f) => f.startsWith('shards/rows-')).sort()).toEqual(onDisk.filter((f) => f.startsWith('shards/rows-')).sort());
    expect(all.filter((f) => f.startsWith('shards/bits-'))).toEqual(manifest.shards.dense.bits!.files.map((f) => f.file));
    expect(new Set(all).size).toBe(all.length);
  });

  it('a damaged row block is INVALID_INDEX naming it', async () => {
    const q = await query(QUERIES[1]!);
    const m = JSON.parse(await readFile(path.join(withBits, 'manifest.json'), 'utf8')) as SiteManifest;
    const reader = new SiteIndexReader(m, async (name) => {
      const b = new Uint8Array(await readFile(path.join(withBits, name)));
      if (name.startsWith('shards/rows-')) b[b.length - 1]! ^= 0xff;
      return b;
    });
    await expect(reader.search(q, { mode: 'dense', k: 3 })).rejects.toMatchObject({ code: 'INVALID_INDEX', details: { reason: 'hash' } });
  });
});

/** Passage and score of each hit, with each signal's score (ranks and scores must match to the bit). */
function strip(r: RankedPassage[]): unknown[] {
  return r.map((h) => ({ passage: h.passage, score: h.score, signals: h.signals }));
}
