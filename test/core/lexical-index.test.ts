// Hand-worked tests of the tokenizer-only BM25 index. Every expected score is
// computed here from the BM25 formula written out; token ids and special ids
// come from the word table below, never from the code under test.
import { describe, expect, it } from 'vitest';
import { LexicalIndex, lexicalTokenIds, type LexicalTokenizer } from '../../src/core/lexical-index.js';
import { M3SearchError } from '../../src/core/errors.js';

// --- a tiny tokenizer -------------------------------------------------------
const WORDS: Record<string, number> = { red: 11, fox: 23, runs: 37, blue: 41, sea: 59, deep: 64, calm: 70 };
const PAD = 900;
const UNK = 901;
const CLS = 902;
const SEP = 903;
const RED = 11, FOX = 23, RUNS = 37, BLUE = 41, SEA = 59, DEEP = 64;

/** Whitespace words through WORDS; unknown words become UNK; `special` wraps in CLS … SEP. */
function tinyTokenizer(): LexicalTokenizer & { calls: ({ special?: boolean } | undefined)[] } {
  const calls: ({ special?: boolean } | undefined)[] = [];
  return {
    calls,
    specialIds: new Set([PAD, UNK, CLS, SEP]),
    ids(text, opts) {
      calls.push(opts);
      const body = text.split(/\s+/).filter(Boolean).map((w) => WORDS[w.toLowerCase()] ?? UNK);
      return opts?.special === false ? body : [CLS, ...body, SEP];
    },
  };
}

// --- BM25 written out --------------------------------------------------------
interface Doc { id: string; ids: number[] }
const K1 = 1.2;
const B = 0.75;

function count(ids: number[], t: number): number {
  return ids.filter((x) => x === t).length;
}

/** Σ over query terms (with boost) of boost·idf(t) · tf(k1+1)/(tf + k1(1 − b + b·dl/avgdl)). */
function bm25(docs: Doc[], query: { id: number; boost: number }[], k1 = K1, b = B): Map<string, number> {
  const n = docs.length;
  const avgdl = docs.reduce((s, d) => s + d.ids.length, 0) / n;
  const out = new Map<string, number>();
  for (const { id: t, boost } of query) {
    if (!(boost > 0)) continue;
    const df = docs.filter((d) => d.ids.includes(t)).length;
    if (df === 0) continue;
    const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
    for (const d of docs) {
      const tf = count(d.ids, t);
      if (tf === 0) continue;
      const dl = d.ids.length;
      const side = (tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * dl) / avgdl));
      out.set(d.id, (out.get(d.id) ?? 0) + boost * idf * side);
    }
  }
  return out;
}

/** Query ids as (id, count) terms. */
function bag(ids: number[]): { id: number; boost: number }[] {
  return [...new Set(ids)].map((id) => ({ id, boost: count(ids, id) }));
}

/** Reference ranking: score desc, then id asc, first k. */
function ranked(scores: Map<string, number>, k: number): { id: string; score: number }[] {
  return [...scores]
    .map(([id, score]) => ({ id, score }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, k);
}

function expectHits(actual: { id: string; score: number }[], expected: { id: string; score: number }[]): void {
  // One assertion per list (this runs in loops): ids in order, scores to 1e-12.
  const off = actual.length === expected.length ? expected.findIndex((h, i) => Math.abs(actual[i]!.score - h.score) > 1e-12) : 0;
  expect({ ids: actual.map((h) => h.id), off }).toEqual({ ids: expected.map((h) => h.id), off: -1 });
}

function build(docs: Doc[], opts = {}): LexicalIndex {
  const index = new LexicalIndex(opts);
  for (const d of docs) index.add(d.id, d.ids);
  return index;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof M3SearchError ? e.code : `not M3SearchError: ${String(e)}`;
  }
  return 'no error';
}

const DOCS: Doc[] = [
  { id: 'a', ids: [RED, FOX, RUNS] },
  { id: 'b', ids: [RED, RED, RED, BLUE] },
  { id: 'c', ids: [BLUE, SEA, SEA, DEEP, DEEP, DEEP, RUNS] },
  { id: 'd', ids: [FOX] },
];

describe('lexicalTokenIds', () => {
  it('asks for no specials and drops special ids (UNK included)', () => {
    const tok = tinyTokenizer();
    expect(lexicalTokenIds(tok, 'Red zebra fox')).toEqual([RED, FOX]);
    expect(tok.calls).toEqual([{ special: false }]);
    expect(lexicalTokenIds(tok, 'quagga')).toEqual([]);
  });
});

describe('LexicalIndex scoring', () => {
  it('matches BM25 written out, with repeated document and query ids', () => {
    const index = build(DOCS);
    for (const q of [[RED], [RED, RED, FOX], [RUNS, DEEP], [SEA, BLUE, RED, RUNS, FOX]]) {
      expectHits(index.search(q, 10), ranked(bm25(DOCS, bag(q)), 10));
    }
    // One figure by hand: N=4, df(fox)=2, avgdl=15/4; doc d has dl=1, tf=1.
    const idf = Math.log(1 + (4 - 2 + 0.5) / (2 + 0.5));
    const side = (1 * 2.2) / (1 + 1.2 * (1 - 0.75 + (0.75 * 1) / 3.75));
    expect(index.search([FOX], 1)).toEqual([{ id: 'd', score: expect.closeTo(idf * side, 12) }]);
  });

  it('honours k1 and b', () => {
    const index = build(DOCS, { k1: 0.5, b: 0.2 });
    expect(index.params).toEqual({ k1: 0.5, b: 0.2 });
    expectHits(index.search([RED, DEEP], 10), ranked(bm25(DOCS, bag([RED, DEEP]), 0.5, 0.2), 10));
  });

  it('returns nothing for empty, unknown-only queries, k < 1 and an empty index', () => {
    const index = build(DOCS);
    expect(index.search([], 5)).toEqual([]);
    expect(index.search([999, 1000], 5)).toEqual([]);
    expect(index.search([RED], 0)).toEqual([]);
    expect(index.search([RED], 0.9)).toEqual([]);
    expect(index.search([RED], -3)).toEqual([]);
    expect(index.search([RED], Number.NaN)).toEqual([]);
    expect(index.searchWeighted([{ id: RED, boost: 1 }], 0)).toEqual([]);
    expect(index.searchWeighted([{ id: RED, boost: 1 }], 0.5)).toEqual([]);
    // k is floored: 2.7 means 2.
    expect(index.search([RED, FOX, RUNS], 2.7)).toHaveLength(2);
    // The short cuts answer before the query is read.
    expect(index.search([-1], 0)).toEqual([]);
    expect(new LexicalIndex().search([-1], 3)).toEqual([]);
    expect(new LexicalIndex().searchWeighted([{ id: RED, boost: 1 }], 3)).toEqual([]);
  });

  it('searchWeighted uses real-valued boosts, skips boosts ≤ 0 and adds repeated terms', () => {
    const index = build(DOCS);
    const terms = [
      { id: RED, boost: 0.5 },
      { id: DEEP, boost: 2.25 },
      { id: FOX, boost: 0 },
      { id: SEA, boost: -1 },
      { id: RUNS, boost: Number.NaN },
      { id: 555, boost: 3 },
      { id: RED, boost: 0.25 },
    ];
    const expected = bm25(DOCS, [{ id: RED, boost: 0.75 }, { id: DEEP, boost: 2.25 }]);
    expectHits(index.searchWeighted(terms, 10), ranked(expected, 10));
    // search is searchWeighted with boost = count.
    expectHits(index.search([RED, RED, FOX], 10), index.searchWeighted([{ id: RED, boost: 2 }, { id: FOX, boost: 1 }], 10));
  });

  it('keeps the best k with ties to the smaller id, whatever the insertion order', () => {
    // Many documents with one shared term, inserted in scrambled order; equal bags tie.
    const shapes = [1, 3, 2, 5, 1, 4, 2, 6, 3, 1, 2, 5, 7, 2];
    const names = ['m', 'c', 'x', 'a', 'q', 'k', 'b', 'z', 'e', 'g', 'y', 'd', 'h', 'f'];
    const docs: Doc[] = shapes.map((tf, i) => ({
      id: names[i]!,
      ids: [...Array<number>(tf).fill(SEA), ...Array<number>(i % 3).fill(BLUE), ...Array<number>(1 + (i % 2)).fill(RED)],
    }));
    const index = build(docs);
    for (const q of [[SEA], [RED], [SEA, BLUE], [BLUE, RED, RED]]) {
      const all = ranked(bm25(docs, bag(q)), docs.length);
      for (let k = 1; k <= docs.length + 1; k++) expectHits(index.search(q, k), all.slice(0, k));
    }
    // Identical documents: pure ties, cut at every k.
    const twins = build(['t4', 't1', 't3', 't0', 't2'].map((id) => ({ id, ids: [FOX, RUNS] })));
    for (let k = 1; k <= 5; k++) {
      expect(twins.search([FOX], k).map((h) => h.id)).toEqual(['t0', 't1', 't2', 't3', 't4'].slice(0, k));
    }
  });

  it('applies the filter before the cut, and a throwing filter leaves later scores intact', () => {
    const index = build(DOCS);
    const all = ranked(bm25(DOCS, bag([RED, FOX, RUNS])), 10);
    const keep = (id: string) => id !== all[0]!.id;
    expectHits(index.search([RED, FOX, RUNS], 2, keep), all.filter((h) => keep(h.id)).slice(0, 2));
    expect(() => index.search([RED], 3, () => {
      throw new Error('boom');
    })).toThrow('boom');
    expectHits(index.search([RED, FOX, RUNS], 10), all);
  });
});

describe('LexicalIndex updates', () => {
  it('validates ids and documents', () => {
    const index = build(DOCS);
    expect(index.size).toBe(4);
    expect(index.has('a')).toBe(true);
    expect(index.has('zz')).toBe(false);
    expect(code(() => index.add('', [RED]))).toBe('INVALID_DOCUMENT');
    expect(code(() => index.add(7 as unknown as string, [RED]))).toBe('INVALID_DOCUMENT');
    expect(code(() => index.add('a', [RED]))).toBe('DUPLICATE_ID');
    expect(() => index.add('a', [RED])).toThrow(/"a" is already indexed/);
    expect(code(() => index.add('e', [RED, -1]))).toBe('INVALID_DOCUMENT');
    expect(code(() => index.add('e', [1.5]))).toBe('INVALID_DOCUMENT');
    expect(index.size).toBe(4);
  });

  it('remove and re-add keep every statistic exact', () => {
    const index = build(DOCS);
    expect(index.remove('nope')).toBe(false);
    expect(index.remove('b')).toBe(true);
    expect(index.remove('b')).toBe(false);
    expect(index.has('b')).toBe(false);
    expect(index.size).toBe(3);
    const left = DOCS.filter((d) => d.id !== 'b');
    expect(index.docFreq(RED)).toBe(1);
    expect(index.docFreq(BLUE)).toBe(1);
    expect(index.docFreq(999)).toBe(0);
    for (const q of [[RED], [BLUE, RUNS], [FOX, DEEP]]) expectHits(index.search(q, 10), ranked(bm25(left, bag(q)), 10));
    // "Update": remove then add with new content, reusing the freed slot.
    index.remove('a');
    index.add('a', [BLUE, BLUE, SEA]);
    index.add('e', [RED, SEA, SEA, SEA, SEA, FOX]);
    const now = [...left.filter((d) => d.id !== 'a'), { id: 'a', ids: [BLUE, BLUE, SEA] }, { id: 'e', ids: [RED, SEA, SEA, SEA, SEA, FOX] }];
    for (const q of [[RED], [SEA, BLUE], [FOX, RUNS, DEEP]]) expectHits(index.search(q, 10), ranked(bm25(now, bag(q)), 10));
    expect([...index.docsWith(SEA)].sort()).toEqual(['a', 'c', 'e']);
    expect([...index.docsWith(999)]).toEqual([]);
    // Removing every holder of a term forgets it.
    index.remove('d');
    index.remove('e');
    expect(index.docFreq(FOX)).toBe(0);
    expect(index.search([FOX], 5)).toEqual([]);
  });

  it('weights() are query tf × idf for known terms only, ids ascending', () => {
    const index = build(DOCS);
    const v = index.weights([SEA, RED, 999, RED]);
    expect([...v.ids]).toEqual([RED, SEA]);
    const idf = (df: number) => Math.log(1 + (4 - df + 0.5) / (df + 0.5));
    expect(v.weights[0]).toBeCloseTo(2 * idf(2), 6);
    expect(v.weights[1]).toBeCloseTo(1 * idf(1), 6);
    expect(index.weights([]).ids).toHaveLength(0);
  });
});

// --- snapshot bytes written by hand -------------------------------------------
function le(parts: (['u32', number] | ['f64', number] | ['raw', number[]])[]): Uint8Array {
  const size = parts.reduce((s, [t, v]) => s + (t === 'u32' ? 4 : t === 'f64' ? 8 : (v as number[]).length), 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const [t, v] of parts) {
    if (t === 'u32') view.setUint32(at, v, true), (at += 4);
    else if (t === 'f64') view.setFloat64(at, v, true), (at += 8);
    else out.set(v, at), (at += v.length);
  }
  return out;
}
const HEADER = (k1 = 1.2, b = 0.75, count = 1): (['u32', number] | ['f64', number])[] => [
  ['u32', 0x584c334d],
  ['u32', 1],
  ['f64', k1],
  ['f64', b],
  ['u32', count],
];
const ascii = (s: string): ['raw', number[]] => ['raw', [...s].map((c) => c.charCodeAt(0))];

describe('LexicalIndex snapshot', () => {
  it('writes the documented layout', () => {
    const index = new LexicalIndex({ k1: 1.5, b: 0.5 });
    index.add('xy', [SEA, RED, SEA]);
    index.add('gone', [FOX]);
    index.add('z', []);
    index.remove('gone');
    expect([...index.serialize()]).toEqual([
      ...le([
        ...HEADER(1.5, 0.5, 2),
        ['u32', 2], ascii('xy'), ['u32', 2], ['u32', RED], ['u32', SEA], ['u32', 1], ['u32', 2],
        ['u32', 1], ascii('z'), ['u32', 0],
      ]),
    ]);
  });

  it('round-trips scores, parameters and statistics', () => {
    const index = build(DOCS, { k1: 0.9, b: 0.4 });
    index.add('é名', [SEA, SEA, DEEP]);
    index.remove('a');
    const back = LexicalIndex.deserialize(index.serialize());
    const docs = [...DOCS.filter((d) => d.id !== 'a'), { id: 'é名', ids: [SEA, SEA, DEEP] }];
    expect(back.params).toEqual({ k1: 0.9, b: 0.4 });
    expect(back.size).toBe(4);
    expect(back.has('é名')).toBe(true);
    for (const q of [[SEA], [RED, DEEP], [BLUE, RUNS, SEA]]) {
      expectHits(back.search(q, 10), ranked(bm25(docs, bag(q), 0.9, 0.4), 10));
    }
    expect(back.serialize()).toEqual(index.serialize());
    // A loaded index stays writable.
    back.add('a', [RED]);
    expect(back.docFreq(RED)).toBe(2);
  });

  it('accepts a hand-written snapshot', () => {
    const bytes = le([...HEADER(1.2, 0.75, 2), ['u32', 1], ascii('p'), ['u32', 2], ['u32', RED], ['u32', FOX], ['u32', 3], ['u32', 1], ['u32', 1], ascii('q'), ['u32', 1], ['u32', FOX], ['u32', 2]]);
    const index = LexicalIndex.deserialize(bytes);
    const docs = [{ id: 'p', ids: [RED, RED, RED, FOX] }, { id: 'q', ids: [FOX, FOX] }];
    expectHits(index.search([FOX, RED], 5), ranked(bm25(docs, bag([FOX, RED])), 5));
  });

  const doc = (id: number[], ids: number[], tfs: number[]): (['u32', number] | ['raw', number[]])[] => [
    ['u32', id.length], ['raw', id], ['u32', ids.length], ...ids.map((x): ['u32', number] => ['u32', x]), ...tfs.map((x): ['u32', number] => ['u32', x]),
  ];
  const bad: [string, unknown, RegExp][] = [
    ['not bytes', [1, 2, 3], /expected a Uint8Array/],
    ['empty', new Uint8Array(0), /truncated/],
    ['bad magic', le([['u32', 0x584c334e], ['u32', 1], ['f64', 1.2], ['f64', 0.75], ['u32', 0]]), /not a lexical index/],
    ['bad version', le([['u32', 0x584c334d], ['u32', 2], ['f64', 1.2], ['f64', 0.75], ['u32', 0]]), /unsupported version 2/],
    ['bad k1', le(HEADER(Number.NaN, 0.75, 0)), /bad BM25 parameters/],
    ['bad b', le(HEADER(1.2, 1.5, 0)), /bad BM25 parameters/],
    ['missing document', le(HEADER(1.2, 0.75, 1)), /truncated/],
    ['bad UTF-8 id', le([...HEADER(), ...doc([0xff, 0xfe], [RED], [1])]), /not valid UTF-8/],
    ['empty id', le([...HEADER(), ...doc([], [RED], [1])]), /empty or repeated/],
    ['repeated id', le([...HEADER(1.2, 0.75, 2), ...doc([0x61], [RED], [1]), ...doc([0x61], [FOX], [1])]), /empty or repeated document id "a"/],
    ['equal term ids', le([...HEADER(), ...doc([0x61], [RED, RED], [1, 1])]), /not strictly ascending/],
    ['descending term ids', le([...HEADER(), ...doc([0x61], [FOX, RED], [1, 1])]), /not strictly ascending/],
    ['zero tf', le([...HEADER(), ...doc([0x61], [RED, FOX], [1, 0])]), /zero term frequency in "a"/],
    ['huge term count', le([...HEADER(), ['u32', 1], ['raw', [0x61]], ['u32', 0xffffffff], ['u32', RED]]), /truncated/],
    ['trailing bytes', le([...HEADER(), ...doc([0x61], [RED], [1]), ['raw', [0]]]), /trailing bytes/],
  ];
  it.each(bad)('rejects %s with INVALID_INDEX', (_name, bytes, message) => {
    expect(code(() => LexicalIndex.deserialize(bytes as Uint8Array))).toBe('INVALID_INDEX');
    expect(() => LexicalIndex.deserialize(bytes as Uint8Array)).toThrow(message);
    expect(() => LexicalIndex.deserialize(bytes as Uint8Array)).toThrow(/^Lexical index snapshot is invalid: .+\.$/);
  });
});
