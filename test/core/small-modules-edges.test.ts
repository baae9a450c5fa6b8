// Small core modules at their edges, every expectation worked out by hand:
// BM25 arithmetic and term bags, option defaults and refusals, vector math,
// L0 summaries, vector shape checks, document validation and sizes.
import { describe, expect, it } from 'vitest';
import { bm25Idf, bm25Params, bm25QueryWeight, bm25TermWeight, termBag } from '../../src/core/bm25.js';
import { denseProblem, encodedProblem, isTyped, multiProblem, sparseProblem } from '../../src/core/check-vectors.js';
import { checkDoc, cloneDoc, docBytes, docProblem, utf8Length } from '../../src/core/doc.js';
import { resolveIndexOptions, resolveSearchOptions } from '../../src/core/options.js';
import { L0Window, summarizeL0 } from '../../src/core/sparsity.js';
import { allFinite, dot, dotAt, isZero, l2normalize, l2normalized, l2normalizeRows, maxAbs, norm } from '../../src/core/vector-math.js';

function thrown(f: () => unknown): { code?: string; message: string; details?: Record<string, unknown> } {
  try {
    f();
  } catch (e) {
    return e as { code?: string; message: string; details?: Record<string, unknown> };
  }
  throw new Error('expected a throw');
}

describe('bm25', () => {
  it('params: defaults 1.2 / 0.75, bounds included, the rest refused with the value', () => {
    expect(bm25Params()).toEqual({ k1: 1.2, b: 0.75 });
    expect(bm25Params({ k1: 0, b: 0 })).toEqual({ k1: 0, b: 0 });
    expect(bm25Params({ b: 1 })).toEqual({ k1: 1.2, b: 1 });
    expect(bm25Params({ k1: 2 })).toEqual({ k1: 2, b: 0.75 });
    for (const k1 of [-0.1, Infinity, NaN]) expect(thrown(() => bm25Params({ k1 }))).toMatchObject({ code: 'INVALID_OPTION', message: `BM25 k1 must be a finite number ≥ 0, got ${k1}.` });
    for (const b of [-0.01, 1.01, NaN, Infinity]) expect(thrown(() => bm25Params({ b }))).toMatchObject({ code: 'INVALID_OPTION', message: `BM25 b must be in [0, 1], got ${b}.` });
  });

  it('idf = ln(1 + (N − df + 0.5) / (df + 0.5)); query weight = tf · idf', () => {
    expect(bm25Idf(10, 2)).toBeCloseTo(Math.log(4.4), 12); // 1 + 8.5 / 2.5
    expect(bm25Idf(10, 10)).toBeCloseTo(Math.log(1 + 0.5 / 10.5), 12);
    expect(bm25QueryWeight(3, 10, 2)).toBeCloseTo(3 * Math.log(4.4), 12);
  });

  it('term weight = tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl))', () => {
    const p = { k1: 1.2, b: 0.75 };
    expect(bm25TermWeight(2, 10, 5, p)).toBeCloseTo(4.4 / 4.1, 12); // 2·2.2 / (2 + 1.2·1.75)
    expect(bm25TermWeight(2, 10, 5, { k1: 1.2, b: 0 })).toBeCloseTo(4.4 / 3.2, 12);
    expect(bm25TermWeight(1, 3, 0, p)).toBeCloseTo(1, 12); // avgdl 0: no length normalization
    expect(bm25TermWeight(3, 2, 4, { k1: 0, b: 0.5 })).toBeCloseTo(1, 12); // presence only
  });

  it('term bags: ids ascending and unique with counts; bad ids refused with the given code', () => {
    const bag = termBag([5, 3, 5, 0, 3, 5]);
    expect([...bag.ids]).toEqual([0, 3, 5]);
    expect([...bag.tfs]).toEqual([1, 2, 3]);
    expect(bag.length).toBe(6);
    const one = termBag([7]);
    expect([[...one.ids], [...one.tfs], one.length]).toEqual([[7], [1], 1]);
    const empty = termBag([]);
    expect([empty.ids.length, empty.tfs.length, empty.length]).toEqual([0, 0, 0]);
    expect([...termBag([2 ** 32 - 1, 0]).ids]).toEqual([0, 2 ** 32 - 1]);
    expect(thrown(() => termBag([1, 1.5]))).toMatchObject({ code: 'INVALID_OPTION', message: 'Token ids must be integers in [0, 2^32), got 1.5 at position 1.' });
    expect(thrown(() => termBag([-1]))).toMatchObject({ message: 'Token ids must be integers in [0, 2^32), got -1 at position 0.' });
    expect(thrown(() => termBag([2 ** 32]))).toMatchObject({ code: 'INVALID_OPTION' });
    expect(thrown(() => termBag([NaN], 'INVALID_DOCUMENT'))).toMatchObject({ code: 'INVALID_DOCUMENT' });
  });
});

describe('options', () => {
  it('index options: defaults, and each refusal names the allowed values', () => {
    expect(resolveIndexOptions()).toEqual({ dense: 'float32', sparse: 'float32', multi: 'float16', multiVectors: 'all', maxMultiVectors: 32 });
    expect(resolveIndexOptions({ dense: 'int8', sparse: 'float16', multi: 'int8', multiVectors: 'nested', maxMultiVectors: 65536 })).toEqual({
      dense: 'int8',
      sparse: 'float16',
      multi: 'int8',
      multiVectors: 'nested',
      maxMultiVectors: 65536,
    });
    const cases: [object, string, object | undefined][] = [
      [{ dense: 'float16' }, 'dense storage must be one of float32, int8', { dense: 'float16' }],
      [{ sparse: 'int8' }, 'sparse storage must be one of float32, float16', { sparse: 'int8' }],
      [{ multi: 'x' }, 'multi storage must be one of float32, float16, int8', { multi: 'x' }],
      [{ multiVectors: 'some' }, 'multiVectors must be one of all, nested', { multiVectors: 'some' }],
      [{ maxMultiVectors: 0 }, 'maxMultiVectors must be a positive integer', { maxMultiVectors: 0 }],
      [{ maxMultiVectors: 2.5 }, 'maxMultiVectors must be a positive integer', { maxMultiVectors: 2.5 }],
      [{ maxMultiVectors: 65537 }, 'maxMultiVectors must be at most 65536', { maxMultiVectors: 65537 }],
    ];
    for (const [o, message, details] of cases) expect(thrown(() => resolveIndexOptions(o as never))).toEqual(expect.objectContaining({ code: 'INVALID_OPTION', message, details }));
    expect(thrown(() => resolveIndexOptions(null as never)).message).toBe('index options must be an object');
  });

  it('search options: defaults grow with k; partial weights keep the other defaults', () => {
    expect(resolveSearchOptions()).toEqual({
      k: 10,
      mode: 'hybrid',
      weights: { dense: 0.4, sparse: 0.2, multi: 0.4 },
      fusion: 'weighted',
      candidates: 100,
      rrfK: 60,
      multiVectorBudget: undefined,
      queryVectorBudget: undefined,
      coarseBudget: undefined,
      coarseDepth: 30,
      filter: undefined,
    });
    expect(resolveSearchOptions({ k: 20 })).toMatchObject({ candidates: 200, coarseDepth: 60 });
    expect(resolveSearchOptions({ k: 9 })).toMatchObject({ candidates: 100, coarseDepth: 30 });
    expect(resolveSearchOptions({ k: 11 })).toMatchObject({ candidates: 110, coarseDepth: 33 });
    expect(resolveSearchOptions({ weights: { sparse: 1 } }).weights).toEqual({ dense: 0.4, sparse: 1, multi: 0.4 });
    expect(resolveSearchOptions({ weights: { dense: 0, multi: -1 } }).weights).toEqual({ dense: 0, sparse: 0.2, multi: -1 });
    const f = (): boolean => true;
    expect(
      resolveSearchOptions({ k: 3, mode: 'sparse', fusion: 'rrf', candidates: 7, rrfK: 0, multiVectorBudget: 2, queryVectorBudget: 3, coarseBudget: 0, coarseDepth: 5, filter: f }),
    ).toEqual({ k: 3, mode: 'sparse', weights: { dense: 0.4, sparse: 0.2, multi: 0.4 }, fusion: 'rrf', candidates: 7, rrfK: 0, multiVectorBudget: 2, queryVectorBudget: 3, coarseBudget: 0, coarseDepth: 5, filter: f });
    expect(resolveSearchOptions({ coarseBudget: 4 }).coarseBudget).toBe(4);
  });

  it('search options: every refusal with its message and the offending value', () => {
    const cases: [object, string, object | undefined][] = [
      [{ k: 0 }, 'k must be a positive integer', { k: 0 }],
      [{ k: 1.5 }, 'k must be a positive integer', { k: 1.5 }],
      [{ k: '3' }, 'k must be a positive integer', { k: '3' }],
      [{ mode: 'lexical' }, 'mode must be one of dense, sparse, multi, hybrid, keyword', { mode: 'lexical' }],
      [{ fusion: 'max' }, 'fusion must be one of weighted, rrf', { fusion: 'max' }],
      [{ weights: { dense: NaN } }, 'weights.dense must be a finite number', { dense: NaN }],
      [{ weights: { multi: '1' } }, 'weights.multi must be a finite number', { multi: '1' }],
      [{ weights: { sparse: Infinity } }, 'weights.sparse must be a finite number', { sparse: Infinity }],
      [{ candidates: 0 }, 'candidates must be a positive integer', { candidates: 0 }],
      [{ rrfK: -1 }, 'rrfK must be a non-negative number', { rrfK: -1 }],
      [{ rrfK: NaN }, 'rrfK must be a non-negative number', { rrfK: NaN }],
      [{ rrfK: '60' }, 'rrfK must be a non-negative number', { rrfK: '60' }],
      [{ multiVectorBudget: 0 }, 'multiVectorBudget must be a positive integer', { multiVectorBudget: 0 }],
      [{ queryVectorBudget: 0 }, 'queryVectorBudget must be a positive integer', { queryVectorBudget: 0 }],
      [{ coarseBudget: -1 }, 'coarseBudget must be a positive integer', { coarseBudget: -1 }],
      [{ coarseBudget: 1.5 }, 'coarseBudget must be a positive integer', { coarseBudget: 1.5 }],
      [{ coarseDepth: 0 }, 'coarseDepth must be a positive integer', { coarseDepth: 0 }],
      [{ filter: 'x' }, 'filter must be a function', undefined],
    ];
    for (const [o, message, details] of cases) {
      const e = thrown(() => resolveSearchOptions(o as never));
      expect(e, message).toMatchObject({ code: 'INVALID_OPTION', message });
      expect(e.details, message).toEqual(details);
    }
    expect(thrown(() => resolveSearchOptions(null as never)).message).toBe('search options must be an object');
    expect(thrown(() => resolveSearchOptions(5 as never)).message).toBe('search options must be an object');
  });
});

describe('vector math', () => {
  it('dot, dotAt, norm', () => {
    expect(dot([1, 2, 3], [4, 5, 6])).toBe(32);
    expect(dot([], [])).toBe(0);
    expect(() => dot([1, 2], [1, 2, 3])).toThrow(new RangeError('dot: length mismatch (2 vs 3)'));
    expect(dotAt([0, 1, 2, 3], 1, [5, 6, 7], 1, 2)).toBe(20); // 1·6 + 2·7
    expect(dotAt([1, 2], 0, [3, 4], 0, 0)).toBe(0);
    expect(norm([3, 4])).toBe(5);
    expect(norm([-3, -4])).toBe(5);
  });

  it('l2normalize in place (zero and non-finite vectors left as they are); rows one by one', () => {
    const v = Float32Array.of(3, 4);
    expect(l2normalize(v)).toBe(v);
    expect([...v]).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect([...l2normalize(Float32Array.of(0, 0))]).toEqual([0, 0]);
    expect([...l2normalize(Float64Array.of(Infinity, 1))]).toEqual([Infinity, 1]);
    const src = [0, 5];
    const copy = l2normalized(src);
    expect([...copy]).toEqual([0, 1]);
    expect(src).toEqual([0, 5]);
    expect([...l2normalizeRows(Float32Array.of(3, 4, 0, 2, 7), 2)]).toEqual([Math.fround(0.6), Math.fround(0.8), 0, 1, 7]);
  });

  it('isZero, allFinite, maxAbs', () => {
    expect(isZero([])).toBe(true);
    expect(isZero([0, -0, 0])).toBe(true);
    expect(isZero([0, 1e-30])).toBe(false);
    expect(isZero([2, 0])).toBe(false);
    expect(allFinite([])).toBe(true);
    expect(allFinite([1, -2.5])).toBe(true);
    expect(allFinite([1, NaN])).toBe(false);
    expect(allFinite([-Infinity, 1])).toBe(false);
    expect(maxAbs([1, -5, 3])).toBe(5);
    expect(maxAbs([9, 1, -5, 3, 8], 1, 3)).toBe(5);
    expect(maxAbs([1, -5, 3, 9], 2)).toBe(9);
    expect(maxAbs([])).toBe(0);
  });
});

describe('L0 statistics', () => {
  it('nearest-rank percentiles, always an observed value', () => {
    expect(summarizeL0([])).toEqual({ count: 0, min: 0, p50: 0, p90: 0, max: 0, mean: 0 });
    expect(summarizeL0([5, 1, 3, 2, 4])).toEqual({ count: 5, min: 1, p50: 3, p90: 5, max: 5, mean: 3 });
    expect(summarizeL0([10])).toEqual({ count: 1, min: 10, p50: 10, p90: 10, max: 10, mean: 10 });
    expect(summarizeL0([10, 9, 8, 7, 6, 5, 4, 3, 2, 1])).toEqual({ count: 10, min: 1, p50: 5, p90: 9, max: 10, mean: 5.5 });
    expect(summarizeL0([100, 20])).toEqual({ count: 2, min: 20, p50: 20, p90: 100, max: 100, mean: 60 });
  });

  it('a ring of the last values', () => {
    const w = new L0Window(3);
    expect([...w.values()]).toEqual([]);
    w.record(1);
    w.record(2);
    expect([...w.values()]).toEqual([1, 2]);
    w.record(3);
    w.record(4);
    expect([...w.values()]).toEqual([4, 2, 3]);
    w.clear();
    expect([...w.values()]).toEqual([]);
    w.record(7);
    expect([...w.values()]).toEqual([7]);
    const big = new L0Window();
    for (let i = 0; i < 10_001; i++) big.record(i % 7);
    expect(big.values().length).toBe(10_000);
  });
});

describe('vector shape checks', () => {
  const F = Float32Array;
  it('dense', () => {
    expect(denseProblem(F.of(1, 2))).toBeUndefined();
    expect(denseProblem([1, 2])).toBe('dense must be a Float32Array');
    expect(denseProblem(Float64Array.of(1))).toBe('dense must be a Float32Array');
    expect(denseProblem(new F(0))).toBe('dense vector is empty');
    expect(denseProblem(F.of(1, NaN))).toBe('dense vector holds NaN or Infinity');
  });

  it('sparse', () => {
    const ok = { ids: Uint32Array.of(1, 5), weights: F.of(0.5, 1) };
    expect(sparseProblem(ok)).toBeUndefined();
    expect(sparseProblem({ ids: new Uint32Array(0), weights: new F(0) })).toBeUndefined();
    expect(sparseProblem(null)).toBe('sparse must be { ids, weights }');
    expect(sparseProblem(3)).toBe('sparse must be { ids, weights }');
    expect(sparseProblem({ ids: [1], weights: F.of(1) })).toBe('sparse.ids must be a Uint32Array and sparse.weights a Float32Array');
    expect(sparseProblem({ ids: Uint32Array.of(1), weights: [1] })).toBe('sparse.ids must be a Uint32Array and sparse.weights a Float32Array');
    expect(sparseProblem({ ids: Uint32Array.of(1, 2), weights: F.of(1) })).toBe('sparse has 2 ids but 1 weights');
    expect(sparseProblem({ ids: Uint32Array.of(2, 2), weights: F.of(1, 1) })).toBe('sparse ids must be sorted ascending and unique');
    expect(sparseProblem({ ids: Uint32Array.of(1, 3, 2), weights: F.of(1, 1, 1) })).toBe('sparse ids must be sorted ascending and unique');
    expect(sparseProblem({ ids: Uint32Array.of(1, 2), weights: F.of(1, Infinity) })).toBe('sparse weights hold NaN or Infinity');
  });

  it('multi', () => {
    expect(multiProblem({ data: F.of(1, 2, 3, 4), count: 2, dim: 2 })).toBeUndefined();
    expect(multiProblem({ data: new F(0), count: 0, dim: 0 })).toBeUndefined();
    expect(multiProblem(undefined)).toBe('multi must be { data, count, dim }');
    expect(multiProblem({ data: [1], count: 1, dim: 1 })).toBe('multi.data must be a Float32Array');
    expect(multiProblem({ data: F.of(1), count: -1, dim: 1 })).toBe('multi.count and multi.dim must be non-negative integers');
    expect(multiProblem({ data: F.of(1), count: 1, dim: 1.5 })).toBe('multi.count and multi.dim must be non-negative integers');
    expect(multiProblem({ data: F.of(1), count: '1', dim: 1 })).toBe('multi.count and multi.dim must be non-negative integers');
    expect(multiProblem({ data: new F(0), count: 2, dim: 0 })).toBe('multi.dim must be positive when there are rows');
    expect(multiProblem({ data: F.of(1, 2, 3), count: 2, dim: 2 })).toBe('multi.data has 3 values, expected count × dim = 4');
    expect(multiProblem({ data: F.of(1, NaN), count: 1, dim: 2 })).toBe('multi-vectors hold NaN or Infinity');
  });

  it('an encoding: the first problem of dense, sparse, multi', () => {
    const good = { dense: F.of(1), sparse: { ids: new Uint32Array(0), weights: new F(0) }, multi: { data: new F(0), count: 0, dim: 1 } };
    expect(encodedProblem(good)).toBeUndefined();
    expect(encodedProblem(null)).toBe('the encoding must be an object');
    expect(encodedProblem('x')).toBe('the encoding must be an object');
    expect(encodedProblem({ ...good, dense: new F(0), sparse: null })).toBe('dense vector is empty');
    expect(encodedProblem({ ...good, sparse: null, multi: null })).toBe('sparse must be { ids, weights }');
    expect(encodedProblem({ ...good, multi: null })).toBe('multi must be { data, count, dim }');
    expect(isTyped(new Uint32Array(1), 'Uint32Array')).toBe(true);
    expect(isTyped(new Uint32Array(1), 'Float32Array')).toBe(false);
    expect(isTyped({ length: 0, [Symbol.toStringTag]: 'Float32Array' }, 'Float32Array')).toBe(false);
  });
});

describe('documents', () => {
  it('docProblem: each rule with its message', () => {
    expect(docProblem({ id: 'a', text: 'x', title: 't', url: '/u', meta: { n: 1, s: 's', b: true, a: [1, 'x'], o: { p: null }, u: undefined } })).toBeUndefined();
    const cases: [unknown, string][] = [
      [null, 'a document must be an object'],
      ['doc', 'a document must be an object'],
      [['a'], 'a document must be an object'],
      [{ text: 'x' }, 'a document needs a non-empty string id'],
      [{ id: '', text: 'x' }, 'a document needs a non-empty string id'],
      [{ id: 'a' }, 'document "a": text must be a string, got undefined'],
      [{ id: 'a', text: null }, 'document "a": text must be a string, got null'],
      [{ id: 'a', text: ['x'] }, 'document "a": text must be a string, got array'],
      [{ id: 'a', text: 5 }, 'document "a": text must be a string, got number'],
      [{ id: 'a', text: ' \n\t' }, 'document "a": text is empty or whitespace only'],
      [{ id: 'a', text: 'x', title: 5 }, 'document "a": title must be a string'],
      [{ id: 'a', text: 'x', url: {} }, 'document "a": url must be a string'],
      [{ id: 'a', text: 'x', meta: [] }, 'document "a": meta must be a plain object'],
      [{ id: 'a', text: 'x', meta: null }, 'document "a": meta must be a plain object'],
      [{ id: 'a', text: 'x', meta: new Date(0) }, 'document "a": meta must be a plain object'],
      [{ id: 'a', text: 'x', meta: { n: NaN } }, 'document "a": meta.n holds a non-finite number'],
      [{ id: 'a', text: 'x', meta: { l: [1, [2, Infinity]] } }, 'document "a": meta.l[1][1] holds a non-finite number'],
      [{ id: 'a', text: 'x', meta: { f: () => 1 } }, 'document "a": meta.f holds a function, which is not JSON data'],
      [{ id: 'a', text: 'x', meta: { big: 1n } }, 'document "a": meta.big holds a bigint, which is not JSON data'],
      [{ id: 'a', text: 'x', meta: { d: new Date(0) } }, 'document "a": meta.d is not plain JSON data'],
      [{ id: 'a', text: 'x', meta: { ok: 1, m: new Map() } }, 'document "a": meta.m is not plain JSON data'],
    ];
    for (const [doc, message] of cases) expect(docProblem(doc), message).toBe(message);
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    expect(docProblem({ id: 'a', text: 'x', meta: circular })).toBe('document "a": meta.self is circular');
    // The same object twice (not a cycle) is fine.
    const shared = { v: 1 };
    expect(docProblem({ id: 'a', text: 'x', meta: { x: shared, y: [shared, shared] } })).toBeUndefined();
    // An object from another realm / with a null prototype is plain.
    expect(docProblem({ id: 'a', text: 'x', meta: Object.assign(Object.create(null), { k: 1 }) })).toBeUndefined();
  });

  it('checkDoc throws with the code asked for and the id when there is one; returns a deep copy', () => {
    expect(thrown(() => checkDoc({ id: 'a', text: '' }))).toMatchObject({ code: 'INVALID_DOCUMENT', message: 'document "a": text is empty or whitespace only', details: { id: 'a' } });
    expect(thrown(() => checkDoc({ id: 5, text: 'x' }, 'CORRUPT_RECORD'))).toMatchObject({ code: 'CORRUPT_RECORD', details: undefined });
    expect(thrown(() => checkDoc(null)).details).toBeUndefined();
    const meta = { list: [{ a: 1 }] };
    const doc = { id: 'a', text: 'x', meta, extra: 'dropped' };
    const copy = checkDoc(doc);
    expect(copy).toEqual({ id: 'a', text: 'x', meta: { list: [{ a: 1 }] } });
    meta.list[0]!.a = 2;
    expect(copy.meta).toEqual({ list: [{ a: 1 }] });
    expect(cloneDoc({ id: 'a', text: 'x', title: undefined, url: 'u' })).toEqual({ id: 'a', text: 'x', url: 'u' });
    expect(Object.keys(cloneDoc({ id: 'a', text: 'x', title: 'T' }))).toEqual(['id', 'text', 'title']);
  });

  it('UTF-8 length without encoding, and the JSON size of a document', () => {
    expect(utf8Length('')).toBe(0);
    expect(utf8Length('a')).toBe(1);
    expect(utf8Length('\u007f\u0080')).toBe(3); // 1 + 2
    expect(utf8Length('\u07ff\u0800')).toBe(5); // 2 + 3
    expect(utf8Length('é€😀')).toBe(2 + 3 + 4);
    expect(utf8Length('\ud800')).toBe(3); // a lone high surrogate at the end: 3 bytes (U+FFFD)
    expect(utf8Length('\udc00x')).toBe(4); // a lone low surrogate: 3 bytes
    expect(utf8Length('\udbff\udfff')).toBe(4);
    for (const s of ['héllo wörld', '日本語', '😀 ok', 'ascii']) expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
    expect(docBytes({ id: 'a', text: 'b' })).toBe('{"id":"a","text":"b"}'.length);
    expect(docBytes({ id: 'é', text: 'b' })).toBe('{"id":"é","text":"b"}'.length + 1);
  });
});
