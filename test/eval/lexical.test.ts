import { describe, expect, it } from 'vitest';
import { isM3SearchError } from '../../src/core/errors.js';
import { LexicalIndex, lexicalTokenIds, type LexicalHit } from '../../src/core/lexical-index.js';
import { rng } from '../core/helpers.js';

// A deliberately naive BM25 straight from the textbook formula, recomputing
// every statistic from the raw token lists on each call.
function naiveBm25(docs: Map<string, number[]>, query: number[], k1 = 1.2, b = 0.75): Map<string, number> {
  const n = docs.size;
  let total = 0;
  for (const toks of docs.values()) total += toks.length;
  const avgdl = total / n;
  const scores = new Map<string, number>();
  for (const [id, toks] of docs) {
    let s = 0;
    for (const t of query) {
      const tf = toks.filter((x) => x === t).length;
      if (tf === 0) continue;
      let df = 0;
      for (const other of docs.values()) if (other.includes(t)) df++;
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      s += (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * toks.length) / avgdl));
    }
    if (s > 0) scores.set(id, s);
  }
  return scores;
}

function naiveTop(docs: Map<string, number[]>, query: number[], k: number, k1?: number, b?: number): LexicalHit[] {
  return [...naiveBm25(docs, query, k1, b)]
    .map(([id, score]) => ({ id, score }))
    .sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : 1))
    .slice(0, k);
}

/** Scores must be the naive ones, and the hits must be a true top k (ties may order differently by rounding). */
function expectMatchesNaive(index: LexicalIndex, docs: Map<string, number[]>, query: number[], k: number, k1?: number, b?: number): void {
  const got = index.search(query, k);
  const want = naiveTop(docs, query, k, k1, b);
  const all = naiveBm25(docs, query, k1, b);
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    expect(got[i]!.score).toBeCloseTo(all.get(got[i]!.id)!, 9);
    expect(got[i]!.score).toBeCloseTo(want[i]!.score, 9);
    if (i > 0) expect(got[i]!.score).toBeLessThanOrEqual(got[i - 1]!.score);
  }
}

function randomDocs(r: () => number, count: number, prefix = 'd'): Map<string, number[]> {
  const docs = new Map<string, number[]>();
  for (let i = 0; i < count; i++) {
    const len = Math.floor(r() * 40); // includes empty documents
    // Zipf-ish: small ids are common, so df varies a lot.
    docs.set(`${prefix}${i}`, Array.from({ length: len }, () => Math.floor(60 * r() * r())));
  }
  return docs;
}

function randomQuery(r: () => number): number[] {
  return Array.from({ length: 1 + Math.floor(r() * 6) }, () => Math.floor(70 * r())); // ids ≥ 60 are unknown
}

function build(docs: Map<string, number[]>, opts?: { k1?: number; b?: number }): LexicalIndex {
  const index = new LexicalIndex(opts);
  for (const [id, toks] of docs) index.add(id, toks);
  return index;
}

describe('LexicalIndex BM25', () => {
  it('matches a hand-computed score', () => {
    // d1 = [1 1 2] (len 3), d2 = [2 3] (len 2); N = 2, avgdl = 2.5; query [1]
    // idf(1) = ln(1 + (2 − 1 + 0.5)/(1 + 0.5)) = ln 2 = 0.693147
    // d1: tf = 2 → 2·2.2 / (2 + 1.2·(0.25 + 0.75·3/2.5)) = 4.4 / 3.38 = 1.301775
    // score = 0.693147 · 1.301775 = 0.902322
    const index = new LexicalIndex();
    index.add('d1', [1, 1, 2]);
    index.add('d2', [2, 3]);
    const hits = index.search([1], 10);
    expect(hits).toHaveLength(1);
    expect(hits[0]!.id).toBe('d1');
    expect(hits[0]!.score).toBeCloseTo(0.902322, 6);
  });

  it('matches the naive BM25 on a random corpus', () => {
    const r = rng(7);
    const docs = randomDocs(r, 300);
    const index = build(docs);
    for (let q = 0; q < 60; q++) expectMatchesNaive(index, docs, randomQuery(r), q % 3 === 0 ? 5 : 50);
  });

  it('honours custom k1 and b', () => {
    const r = rng(11);
    const docs = randomDocs(r, 120);
    const index = build(docs, { k1: 2, b: 0.3 });
    for (let q = 0; q < 20; q++) expectMatchesNaive(index, docs, randomQuery(r), 20, 2, 0.3);
  });

  it('stays exact through removes and re-adds (live statistics)', () => {
    const r = rng(3);
    const docs = randomDocs(r, 200);
    const index = build(docs);
    for (let i = 0; i < 200; i += 3) {
      expect(index.remove(`d${i}`)).toBe(true);
      docs.delete(`d${i}`);
    }
    for (const [id, toks] of randomDocs(r, 50, 'n')) {
      index.add(id, toks); // reuses freed slots
      docs.set(id, toks);
    }
    expect(index.size).toBe(docs.size);
    expect(index.has('d0')).toBe(false);
    expect(index.has('d1')).toBe(true);
    expect(index.remove('d0')).toBe(false);
    for (let q = 0; q < 40; q++) {
      const query = randomQuery(r);
      expectMatchesNaive(index, docs, query, 30);
      // Same results as an index built from scratch on the final set.
      expect(index.search(query, 30)).toEqual(build(docs).search(query, 30));
    }
  });

  it('breaks ties by id and applies the filter before the cut', () => {
    const index = new LexicalIndex();
    index.add('b', [5]);
    index.add('a', [5]);
    index.add('c', [5, 6]);
    expect(index.search([5], 10).map((h) => h.id)).toEqual(['a', 'b', 'c']);
    expect(index.search([5], 2, (id) => id !== 'a').map((h) => h.id)).toEqual(['b', 'c']);
  });

  it('returns nothing for empty queries, unknown terms, k = 0 or an empty index', () => {
    const index = new LexicalIndex();
    expect(index.search([1], 10)).toEqual([]);
    index.add('a', [1, 2]);
    expect(index.search([], 10)).toEqual([]);
    expect(index.search([99], 10)).toEqual([]);
    expect(index.search([1], 0)).toEqual([]);
  });

  it('rejects duplicate ids, bad token ids and bad parameters', () => {
    const index = new LexicalIndex();
    index.add('a', [1]);
    expect(() => index.add('a', [2])).toThrow(expect.objectContaining({ code: 'DUPLICATE_ID' }));
    expect(() => index.add('b', [1.5])).toThrow(expect.objectContaining({ code: 'INVALID_DOCUMENT' }));
    expect(() => index.add('', [1])).toThrow(expect.objectContaining({ code: 'INVALID_DOCUMENT' }));
    expect(() => index.search([-1], 5)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => new LexicalIndex({ b: 2 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(index.size).toBe(1);
  });
});

describe('LexicalIndex.weights', () => {
  it('gives query tf × IDF for known terms, ids ascending, and dots to the search score', () => {
    // d1 = [1 1 2], d2 = [2 3]; N = 2. idf(1) = idf(3) = ln 2; idf(2) = ln(1 + 0.5/2.5) = ln 1.2
    const index = new LexicalIndex();
    index.add('d1', [1, 1, 2]);
    index.add('d2', [2, 3]);
    const w = index.weights([3, 2, 9, 2]);
    expect([...w.ids]).toEqual([2, 3]); // 9 is unknown: left out
    expect(w.weights[0]).toBeCloseTo(2 * Math.log(1.2), 6); // "2" appears twice in the query
    expect(w.weights[1]).toBeCloseTo(Math.log(2), 6);
    // d2 = [2 3]: len 2, avgdl 2.5 → each tf = 1 term: 2.2 / (1 + 1.2·(0.25 + 0.75·0.8)) = 2.2 / 2.02
    const docSide = 2.2 / 2.02;
    const d2 = index.search([3, 2, 9, 2], 10).find((h) => h.id === 'd2')!;
    expect(d2.score).toBeCloseTo(w.weights[0]! * docSide + w.weights[1]! * docSide, 6);
  });
});

describe('LexicalIndex serialization', () => {
  it('round-trips to identical results and stays editable', () => {
    const r = rng(5);
    const docs = randomDocs(r, 150);
    docs.set('ünïcødé ✓', [1, 2, 3]);
    const index = build(docs, { k1: 0.9, b: 0.4 });
    index.remove('d3');
    docs.delete('d3');
    const copy = LexicalIndex.deserialize(index.serialize());
    expect(copy.size).toBe(index.size);
    expect(copy.params).toEqual({ k1: 0.9, b: 0.4 });
    for (let q = 0; q < 20; q++) {
      const query = randomQuery(r);
      expect(copy.search(query, 20)).toEqual(index.search(query, 20));
    }
    copy.add('late', [1, 1]);
    docs.set('late', [1, 1]);
    expectMatchesNaive(copy, docs, [1, 2], 10, 0.9, 0.4);
  });

  it('rejects malformed snapshots with INVALID_INDEX', () => {
    const index = new LexicalIndex();
    index.add('a', [1, 2, 2]);
    const bytes = index.serialize();
    const bad = [
      bytes.subarray(0, bytes.length - 1), // truncated
      new Uint8Array([...bytes, 0]), // trailing byte
      Uint8Array.from(bytes, (v, i) => (i === 0 ? v ^ 0xff : v)), // magic
      new Uint8Array(0),
    ];
    for (const b of bad) {
      let err: unknown;
      try {
        LexicalIndex.deserialize(b);
      } catch (e) {
        err = e;
      }
      expect(isM3SearchError(err, 'INVALID_INDEX')).toBe(true);
    }
  });
});

describe('lexicalTokenIds', () => {
  it('drops special and unknown ids', () => {
    const vocab = new Map([['[UNK]', 0], ['hello', 1], ['world', 2]]);
    const tokenizer = {
      specialIds: new Set([0, 100, 101]),
      ids: (text: string, opts?: { special?: boolean }) => {
        const body = text.split(' ').map((w) => vocab.get(w) ?? 0);
        return opts?.special === false ? body : [100, ...body, 101];
      },
    };
    expect(lexicalTokenIds(tokenizer, 'hello strange world')).toEqual([1, 2]);
  });
});
