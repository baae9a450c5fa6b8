import { describe, expect, it } from 'vitest';
import { SearchIndex } from '../../src/core/search-index.js';
import { isM3SearchError, M3SearchError } from '../../src/core/errors.js';
import type { Doc, Encoded } from '../../src/core/types.js';
import { corpus, naiveDot, naiveSparse, nearQuery, randomEncoded, rng, SMALL, thrown } from './helpers.js';

const MODES = ['dense', 'sparse', 'multi', 'hybrid'] as const;

function expectCode(f: () => unknown, code: string): M3SearchError {
  const e = thrown(f);
  expect(e).toBeInstanceOf(M3SearchError);
  expect((e as M3SearchError).code).toBe(code);
  return e as M3SearchError;
}

describe('add validation', () => {
  const r = rng(50);
  const enc = randomEncoded(r);

  function snapshotOf(index: SearchIndex): unknown {
    const q = nearQuery(rng(1), enc);
    return { size: index.size, ids: [...index.ids()], stats: index.stats(), hits: index.search(q, { k: 20 }), dims: index.dims };
  }

  it('rejects bad documents and encodings with the right code and leaves the index unchanged', () => {
    const index = new SearchIndex();
    const { docs, encs } = corpus(3, 20);
    docs.forEach((d, i) => index.add(d, encs[i]!));
    const before = snapshotOf(index);

    expectCode(() => index.add({ id: 'doc-1', text: 'again' }, enc), 'DUPLICATE_ID');
    expectCode(() => index.add({ id: 'x', text: '' }, enc), 'INVALID_DOCUMENT');
    expectCode(() => index.add({ id: 'x', text: '   \n' }, enc), 'INVALID_DOCUMENT');
    expectCode(() => index.add({ id: 'x', text: 42 } as unknown as Doc, enc), 'INVALID_DOCUMENT');
    expectCode(() => index.add({ id: '', text: 'hi' }, enc), 'INVALID_DOCUMENT');
    expectCode(() => index.add({ id: 7, text: 'hi' } as unknown as Doc, enc), 'INVALID_DOCUMENT');
    expectCode(() => index.add(null as unknown as Doc, enc), 'INVALID_DOCUMENT');
    expectCode(() => index.add({ id: 'x', text: 'hi', meta: { f: () => 1 } } as unknown as Doc, enc), 'INVALID_DOCUMENT');
    expectCode(() => index.add({ id: 'x', text: 'hi', meta: { big: 10n } } as unknown as Doc, enc), 'INVALID_DOCUMENT');

    const e = expectCode(() => index.add({ id: 'x', text: 'hi' }, { ...enc, dense: new Float32Array(SMALL.dense + 1) }), 'INVALID_DOCUMENT');
    expect(e.message).toMatch(/dims/);
    expect(e.message).toContain(String(SMALL.dense));
    const m = SMALL.multi + 2;
    expectCode(() => index.add({ id: 'x', text: 'hi' }, { ...enc, multi: { data: new Float32Array(2 * m), count: 2, dim: m } }), 'INVALID_DOCUMENT');
    expectCode(() => index.add({ id: 'x', text: 'hi' }, { ...enc, multi: { data: new Float32Array(5), count: 2, dim: SMALL.multi } }), 'INVALID_DOCUMENT');
    expectCode(() => index.add({ id: 'x', text: 'hi' }, { ...enc, sparse: { ids: Uint32Array.from([3, 1]), weights: Float32Array.from([1, 1]) } }), 'INVALID_DOCUMENT');
    expectCode(() => index.add({ id: 'x', text: 'hi' }, { ...enc, sparse: { ids: Uint32Array.from([1, 1]), weights: Float32Array.from([1, 1]) } }), 'INVALID_DOCUMENT');
    expectCode(() => index.add({ id: 'x', text: 'hi' }, { ...enc, sparse: { ids: Uint32Array.from([1]), weights: Float32Array.from([1, 2]) } }), 'INVALID_DOCUMENT');
    expectCode(() => index.add({ id: 'x', text: 'hi' }, { ...enc, dense: Float32Array.from(enc.dense, (v, i) => (i === 0 ? NaN : v)) }), 'INVALID_DOCUMENT');
    expectCode(() => index.add({ id: 'x', text: 'hi' }, { ...enc, dense: [1, 2] as unknown as Float32Array }), 'INVALID_DOCUMENT');
    // A failed upsert keeps the old version.
    expectCode(() => index.upsert({ id: 'doc-2', text: 'new' }, { ...enc, dense: new Float32Array(3) }), 'INVALID_DOCUMENT');
    expectCode(() => index.upsert({ id: 'doc-2', text: '' }, enc), 'INVALID_DOCUMENT');

    expect(snapshotOf(index)).toEqual(before);
    expect(index.getDoc('doc-2')!.text).toBe('document number 2');
  });

  it('the first document fixes the dimensions; clear() resets them', () => {
    const index = new SearchIndex();
    index.add({ id: 'a', text: 'a' }, enc);
    const other = randomEncoded(r, { dense: 8, multi: 4, vocab: 50 });
    expectCode(() => index.add({ id: 'b', text: 'b' }, other), 'INVALID_DOCUMENT');
    // A document with no token vectors is fine at any declared multi dim.
    index.add({ id: 'c', text: 'c' }, { ...enc, multi: { data: new Float32Array(0), count: 0, dim: 0 } });
    index.remove('a');
    index.remove('c');
    expectCode(() => index.add({ id: 'b', text: 'b' }, other), 'INVALID_DOCUMENT');
    index.clear();
    expect(index.size).toBe(0);
    index.add({ id: 'b', text: 'b' }, other);
    expect(index.dims).toEqual({ dense: 8, multi: 4 });
  });
});

describe('add / upsert / remove keep every representation consistent', () => {
  it('removed documents are never returned in any mode', () => {
    const { docs, encs } = corpus(60, 200);
    const index = new SearchIndex();
    docs.forEach((d, i) => index.add(d, encs[i]!));
    const removed = new Set<string>();
    for (let i = 0; i < 200; i += 3) {
      expect(index.remove(docs[i]!.id)).toBe(true);
      removed.add(docs[i]!.id);
    }
    expect(index.remove('doc-0')).toBe(false);
    expect(index.size).toBe(200 - removed.size);
    // Query with each removed document's own vectors: it would be the top hit if still indexed.
    for (let i = 0; i < 200; i += 3) {
      for (const mode of MODES) {
        const hits = index.search(encs[i]!, { mode, k: 50 });
        for (const h of hits) expect(removed.has(h.id)).toBe(false);
      }
      expect(index.getDoc(docs[i]!.id)).toBeUndefined();
      expect(index.toRecord(docs[i]!.id)).toBeUndefined();
    }
    // The survivors still find themselves (dense and MaxSim self-similarity is maximal;
    // raw sparse scores are not normalized, so there the document need only be present).
    for (let i = 1; i < 200; i += 3) {
      for (const mode of ['dense', 'multi'] as const) expect(index.search(encs[i]!, { mode, k: 1 })[0]!.id).toBe(docs[i]!.id);
      for (const mode of ['sparse', 'hybrid'] as const) {
        expect(index.search(encs[i]!, { mode, k: 50 }).some((h) => h.id === docs[i]!.id)).toBe(true);
      }
    }
  });

  it('an upserted document matches its new vectors, not its old ones', () => {
    const r = rng(6100);
    const { docs, encs } = corpus(61, 100);
    const index = new SearchIndex({ multi: 'float32' });
    docs.forEach((d, i) => index.add(d, encs[i]!));
    const fresh: Encoded = randomEncoded(r, SMALL, 5, 12);
    index.upsert({ id: 'doc-10', text: 'replaced', meta: { v: 2 } }, fresh);
    expect(index.size).toBe(100);
    expect(index.getDoc('doc-10')).toEqual({ id: 'doc-10', text: 'replaced', meta: { v: 2 } });
    for (const mode of ['dense', 'multi'] as const) {
      const [top] = index.search(fresh, { mode, k: 1 });
      expect(top!.id).toBe('doc-10');
      expect(top!.doc.text).toBe('replaced');
      expect(top!.signals.multi!.score).toBeCloseTo(1, 5);
    }
    const sp = index.search(fresh, { mode: 'sparse', k: 100 }).find((h) => h.id === 'doc-10')!;
    expect(sp.score).toBeCloseTo(naiveSparse(fresh.sparse, fresh.sparse), 5);
    const [byNew] = index.search(fresh, { mode: 'dense', k: 1 });
    expect(byNew!.score).toBeCloseTo(1, 5);
    // Searching with the old vectors: doc-10 now scores as the new vectors do.
    const old = encs[10]!;
    const hits = index.search(old, { mode: 'dense', k: 100 });
    const h = hits.find((x) => x.id === 'doc-10')!;
    expect(h.score).toBeCloseTo(naiveDot(old.dense, fresh.dense), 5);
    expect(h.signals.sparse!.score).toBeCloseTo(naiveSparse(old.sparse, fresh.sparse), 5);
    const sparseHits = index.search(old, { mode: 'sparse', k: 100 });
    const sh = sparseHits.find((x) => x.id === 'doc-10');
    if (naiveSparse(old.sparse, fresh.sparse) === 0) expect(sh).toBeUndefined();
    else expect(sh!.score).toBeCloseTo(naiveSparse(old.sparse, fresh.sparse), 5);
    // upsert of an absent id adds it
    index.upsert({ id: 'new', text: 'n' }, randomEncoded(r));
    expect(index.size).toBe(101);
  });

  it('postings compaction after many removals keeps sparse search exact', () => {
    const r = rng(62);
    const { docs, encs } = corpus(62, 1500, { ...SMALL, vocab: 400 });
    const index = new SearchIndex();
    docs.forEach((d, i) => index.add(d, encs[i]!));
    const postingsBefore = index.stats().postings;
    const live = new Map(docs.map((d, i) => [d.id, encs[i]!]));
    for (let i = 0; i < 1500; i++) {
      if (i % 5 !== 0) {
        index.remove(docs[i]!.id);
        live.delete(docs[i]!.id);
      }
    }
    // Re-add some ids with new vectors (reusing freed slots).
    for (let i = 1; i < 200; i += 5) {
      const e = randomEncoded(r);
      index.add({ id: `re-${i}`, text: 'again' }, e);
      live.set(`re-${i}`, e);
    }
    const st = index.stats();
    expect(st.docs).toBe(live.size);
    expect(st.postings).toBe([...live.values()].reduce((a, e) => a + e.sparse.ids.length, 0));
    expect(st.postings).toBeLessThan(postingsBefore);
    for (let t = 0; t < 10; t++) {
      const q = nearQuery(r, [...live.values()][t * 7]!);
      const hits = index.search(q, { mode: 'sparse', k: 30 });
      const want = [...live]
        .map(([id, e], seq) => ({ id, seq, s: naiveSparse(q.sparse, e.sparse), o: e.sparse.ids.some((x) => q.sparse.ids.includes(x)) }))
        .filter((x) => x.o);
      // Compare the score multiset (ids can tie; ordering among exact ties is checked elsewhere).
      const wantScores = want.map((x) => x.s).sort((a, b) => b - a).slice(0, 30);
      expect(hits.map((h) => h.score).length).toBe(wantScores.length);
      hits.forEach((h, i) => expect(h.score).toBeCloseTo(wantScores[i]!, 5));
      for (const h of hits) expect(live.has(h.id)).toBe(true);
    }
  });

  it('isM3SearchError recognizes codes', () => {
    const index = new SearchIndex();
    const e = thrown(() => index.add({ id: 'x', text: '' }, randomEncoded(rng(1))));
    expect(isM3SearchError(e, 'INVALID_DOCUMENT')).toBe(true);
    expect(isM3SearchError(e, 'DUPLICATE_ID')).toBe(false);
  });
});
