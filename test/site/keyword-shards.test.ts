// The static index's keyword shards (src/site/keyword-shards.ts): the byte
// layout of FORMAT.md, what a damaged shard is refused for, shard lookup by
// key, and BM25 document weights worked out by hand.
import { describe, expect, it } from 'vitest';
import { Analyzer } from '../../src/core/analyzer.js';
import { bm25TermWeight } from '../../src/core/bm25.js';
import { buildKeywordShards, decodeKeywordShard, encodeKeywordShard, keywordShardOf, keywordWeight, type KeywordEntry } from '../../src/site/keyword-shards.js';

const HEADER = [0x4d, 0x33, 0x53, 0x53, 2, 0, 4, 0]; // "M3SS", version 2, kind 4
const u32 = (n: number): number[] => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
const utf8 = (s: string): number[] => [...new TextEncoder().encode(s)];

const term = (key: string, passages: number[], weights: number[], surface?: { docs: number; term: string }): KeywordEntry => ({
  key,
  ...(surface ? { surface } : {}),
  postings: { passages: Uint32Array.from(passages), weights: Uint8Array.from(weights) },
});

describe('keyword shard codec', () => {
  const entries: KeywordEntry[] = [
    term('run', [0, 3, 130], [10, 20, 255], { docs: 3, term: 'run' }),
    { key: 'running', surface: { docs: 2, term: 'run' } },
    term('runs', [5], [1]),
  ];
  const bytes = [
    ...HEADER,
    ...u32(7), // shard
    ...u32(3), // entries
    ...[0, 3, ...utf8('run'), 3, 3, 3, 0, 2, 126, 10, 20, 255], // flags 3 (word + term), docs 3, df 3, gaps to 0 3 130, weights
    ...[3, 4, ...utf8('ning'), 5, 2, 3, ...utf8('run')], // shares "run"; flags 5 (word, stem differs), docs 2, stem "run"
    ...[3, 1, ...utf8('s'), 2, 1, 5, 1], // shares "run" with "running"; flags 2 (term), df 1, gap 5, weight 1
    ...[0, 0, 0], // align
  ];

  it('round-trips entries in the documented bytes, front-coding each key against the previous one', () => {
    const enc = encodeKeywordShard({ shard: 7, entries });
    expect([...enc]).toEqual(bytes);
    const dec = decodeKeywordShard(Uint8Array.from(bytes), 200);
    expect(dec.shard).toBe(7);
    expect(dec.entries).toEqual(entries);
  });

  it('keeps surrogate pairs whole between the shared part and the suffix', () => {
    const keys = ['a😀', 'a😁', '😀x', '😀😀'].sort();
    const enc = encodeKeywordShard({ shard: 0, entries: keys.map((k) => ({ key: k, surface: { docs: 1, term: k } })) });
    expect(decodeKeywordShard(enc, 1).entries.map((e) => e.key)).toEqual(keys);
  });

  it('refuses damage: out-of-order keys, bad flags, a stem without a word, zero weights, passages past the index, a long shared prefix', () => {
    const ok = encodeKeywordShard({ shard: 0, entries });
    expect(() => decodeKeywordShard(ok, 130)).toThrow('term "run" names passage 130 of 130');
    const unordered = encodeKeywordShard({ shard: 0, entries: [entries[1]!, entries[0]!] });
    expect(() => decodeKeywordShard(unordered, 200)).toThrow('entry 1 is out of order');
    const at = (b: Uint8Array, i: number, v: number): Uint8Array => {
      const c = b.slice();
      c[i] = v;
      return c;
    };
    const flagsAt = 8 + 8 + 2 + 3; // header, shard + count, shared + length, "run"
    expect(() => decodeKeywordShard(at(ok, flagsAt, 0), 200)).toThrow('entry 0 has flags 0');
    expect(() => decodeKeywordShard(at(ok, flagsAt, 8), 200)).toThrow('entry 0 has flags 8');
    expect(() => decodeKeywordShard(at(ok, flagsAt, 6), 200)).toThrow('entry 0 has flags 6');
    const zero = encodeKeywordShard({ shard: 0, entries: [term('x', [1], [0])] });
    expect(() => decodeKeywordShard(zero, 5)).toThrow('term "x" has a zero weight');
    expect(() => decodeKeywordShard(at(ok, 16, 9), 200)).toThrow('entry 0 shares 9 characters with a 0-character key');
    // Kind and truncation come from the shared header/reader.
    expect(() => decodeKeywordShard(ok.slice(0, ok.length - 6), 200)).toThrow(/truncated/);
    expect(() => decodeKeywordShard(at(ok, 6, 2), 200)).toThrow('expected shard kind 4, got 2');
  });

  it('keywordShardOf: the last shard whose first key is at or before the key', () => {
    const firsts = ['', 'd', 'm', 'x'];
    expect(['', 'a', 'c', 'd', 'da', 'l', 'm', 'w', 'x', 'zz', '\uffff'].map((k) => keywordShardOf(firsts, k))).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 3]);
    expect(keywordShardOf([''], 'anything')).toBe(0);
  });

  it('keywordWeight: stored steps of (k1 + 1) / 255', () => {
    expect(keywordWeight(255, 1.2)).toBeCloseTo(2.2, 12);
    expect(keywordWeight(1, 1.2)).toBeCloseTo(2.2 / 255, 12);
    expect(keywordWeight(100, 0.5)).toBeCloseTo(150 / 255, 12);
  });
});

describe('buildKeywordShards', () => {
  const analyzer = new Analyzer({ wordGrams: 0 });
  const bm25 = { k1: 1.2, b: 0.75 };
  const passages = [
    { title: 'Alpha', text: 'beta beta gamma' }, // title counted twice: alpha ×2, beta ×2, gamma ×1 → length 5
    { title: '', text: 'gamma delta' }, // length 2
    { title: 'Beta', text: 'Delta' }, // beta ×2, delta ×1 → length 3
  ];

  it('weighs each posting as the document side of BM25 (title ×2), quantized to 1…255 of k1 + 1', () => {
    const r = buildKeywordShards(analyzer, passages, { bm25, titleBoost: 2, shardBytes: 1 << 20 });
    expect(r.terms).toBe(10);
    expect(r.avgLength).toBeCloseTo(10 / 3, 12);
    expect(r.shards).toHaveLength(1);
    const byKey = new Map(r.shards[0]!.shard.entries.map((e) => [e.key, e]));
    expect([...byKey.keys()]).toEqual(['alpha', 'beta', 'delta', 'gamma']);
    const q = (tf: number, len: number): number => Math.round((bm25TermWeight(tf, len, 10 / 3, bm25) * 255) / 2.2);
    expect([...byKey.get('beta')!.postings!.passages]).toEqual([0, 2]);
    expect([...byKey.get('beta')!.postings!.weights]).toEqual([q(2, 5), q(2, 3)]);
    expect([...byKey.get('gamma')!.postings!.weights]).toEqual([q(1, 5), q(1, 2)]);
    expect([...byKey.get('delta')!.postings!.passages]).toEqual([1, 2]);
    // Written words count documents (not occurrences); the word is its own term here (no stemmer).
    expect(byKey.get('beta')!.surface).toEqual({ docs: 2, term: 'beta' });
    expect(byKey.get('alpha')!.surface).toEqual({ docs: 1, term: 'alpha' });
  });

  it('a title boost of 0 leaves titles out; a stemmer makes word and term entries apart', () => {
    const r = buildKeywordShards(analyzer, passages, { bm25, titleBoost: 0, shardBytes: 1 << 20 });
    expect(r.terms).toBe(6);
    expect(r.shards[0]!.shard.entries.map((e) => e.key)).toEqual(['beta', 'delta', 'gamma']);
    const stemming = new Analyzer({ wordGrams: 0, language: 'en', stemmers: { en: (w) => w.replace(/ing$/, '') } });
    const s = buildKeywordShards(stemming, [{ title: '', text: 'running run' }], { bm25, titleBoost: 2, shardBytes: 1 << 20 });
    const entries = s.shards[0]!.shard.entries;
    expect(entries.map((e) => [e.key, e.surface?.term ?? null, e.postings ? [...e.postings.passages] : null])).toEqual([
      ['run', 'run', [0]],
      ['runn', null, [0]],
      ['running', 'runn', null],
    ]);
  });

  it('cuts shards between keys at the byte target; each shard starts at its first key, the first at ""', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ title: '', text: `word${String(i).padStart(2, '0')} common` }));
    const r = buildKeywordShards(analyzer, many, { bm25, titleBoost: 2, shardBytes: 64 });
    expect(r.shards.length).toBeGreaterThan(3);
    expect(r.shards[0]!.first).toBe('');
    r.shards.forEach((s, i) => {
      expect(s.shard.shard).toBe(i);
      if (i > 0) expect(s.first).toBe(s.shard.entries[0]!.key);
    });
    const keys = r.shards.flatMap((s) => s.shard.entries.map((e) => e.key));
    expect(keys).toEqual([...keys].sort());
    expect(new Set(keys).size).toBe(41);
    // Every key is found in the shard keywordShardOf names.
    const firsts = r.shards.map((s) => s.first);
    for (const k of keys) expect(r.shards[keywordShardOf(firsts, k)]!.shard.entries.some((e) => e.key === k)).toBe(true);
    expect(buildKeywordShards(analyzer, [], { bm25, titleBoost: 2, shardBytes: 64 })).toMatchObject({ avgLength: 0, terms: 0, shards: [{ first: '', shard: { entries: [] } }] });
  });
});
