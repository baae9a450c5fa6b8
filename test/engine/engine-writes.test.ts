// The engine's write path, long-document windows, bookkeeping and errors, with
// a word-table encoder: one token and one sparse id (weight 1) per distinct
// word, so a sparse score is the number of query words a text shares. Window
// boundaries are worked out by hand below (size 16 → budget 12 tokens and
// units of at most 3 characters: every 2-letter word "ab " is a unit of its own).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Encoder } from '../../src/core/encoder.js';
import { M3SearchError } from '../../src/core/errors.js';
import type { Doc, Encoded } from '../../src/core/types.js';
import { M3Search, type AddProgress, type EngineOptions } from '../../src/engine/engine.js';
import type { Store, StoredPut } from '../../src/engine/store.js';

const vocab = new Map<string, number>();
const idOf = (w: string): number => {
  let id = vocab.get(w);
  if (id === undefined) vocab.set(w, (id = vocab.size + 10));
  return id;
};
const wordsOf = (t: string): string[] => t.toLowerCase().split(/\s+/).filter(Boolean);

interface Call {
  texts: string[];
  kind?: string;
  batchSize?: number;
}

/** dense [1, 0]; "dim3" → a 3-dim dense vector, "mdim3" → 3-dim token vectors, "nomulti" → no token vector (dim 5); "XX" → truncated. */
function wordEncoder(): Encoder & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    info: { modelId: 'test/words', fingerprint: 'words-1', maxLength: 64, denseDim: 2, multiDim: 2, sparseStyle: 'lexical', hasMulti: true },
    tokenizer: { ids: (t: string): number[] => wordsOf(t).map(idOf), specialIds: new Set<number>() },
    async encode(texts, opts = {}): Promise<Encoded[]> {
      calls.push({ texts: [...texts], kind: opts.kind, batchSize: opts.batchSize });
      return texts.map((t) => {
        const ws = wordsOf(t);
        const ids = [...new Set(ws.map(idOf))].sort((a, b) => a - b);
        const mdim = ws.includes('mdim3') ? 3 : 2;
        return {
          dense: ws.includes('dim3') ? Float32Array.of(1, 0, 0) : Float32Array.of(1, 0),
          sparse: { ids: Uint32Array.from(ids), weights: new Float32Array(ids.length).fill(1) },
          multi: ws.includes('nomulti') ? { data: new Float32Array(0), count: 0, dim: 5 } : { data: mdim === 3 ? Float32Array.of(1, 0, 0) : Float32Array.of(1, 0), count: 1, dim: mdim },
          tokens: ws.length,
          truncated: t.includes('XX'),
        };
      });
    },
  };
}

function recordingStore(fail?: { at: number; error: unknown }): Store & { writes: { puts: string[]; removes: string[] }[]; clears: number } {
  const s = {
    writes: [] as { puts: string[]; removes: string[] }[],
    clears: 0,
    async write(puts: readonly StoredPut[], removes: readonly string[]): Promise<void> {
      if (fail && s.writes.length + 1 === fail.at) throw fail.error;
      s.writes.push({ puts: puts.map((p) => p.record.doc.id), removes: [...removes] });
    },
    async clear(): Promise<void> {
      s.clears++;
    },
  };
  return s;
}

const sha = (t: string): string => createHash('sha256').update(t, 'utf8').digest('hex');
/** n two-letter words alternating "ab cd": word i spans [3i, 3i + 3). */
const alt = (n: number): string => Array.from({ length: n }, (_, i) => (i % 2 ? 'cd' : 'ab')).join(' ');
const A60 = alt(60); // 179 characters; windows of 12 words without overlap: [0,36) [36,72) [72,108) [108,144) [144,179)
const WIN = { longDocuments: 'windows', windowSize: 16, windowOverlap: 0 } as const;

async function rejection(p: Promise<unknown>): Promise<M3SearchError> {
  try {
    await p;
  } catch (e) {
    return e as M3SearchError;
  }
  throw new Error('expected a rejection');
}

describe('M3Search: long documents as windows', () => {
  it('indexes a long document as windows, one store write per document group, counting it once', async () => {
    const enc = wordEncoder();
    const store = recordingStore();
    const engine = new M3Search(enc, {}, { ...WIN, store });
    const report = await engine.add([{ id: 'A', text: A60 }, { id: 'B', text: 'ab zz' }, { id: 'C', text: 'qq' }]);
    expect(report).toEqual({ added: 3, updated: 0, unchanged: 0, truncated: [], windowed: { A: 5 }, docCount: 3 });
    expect(engine.size).toBe(3);
    expect(engine.index.size).toBe(7);
    expect([engine.has('A'), engine.has('B'), engine.has('A#w0'), engine.has('nope')]).toEqual([true, true, false, false]);
    expect(enc.calls.map((c) => c.texts)).toEqual([[A60.slice(0, 36), A60.slice(36, 72), A60.slice(72, 108), A60.slice(108, 144), A60.slice(144, 179)], ['ab zz', 'qq']]);
    expect(enc.calls.map((c) => [c.kind, c.batchSize])).toEqual([['passage', 32], ['passage', 32]]);
    expect(store.writes).toEqual([
      { puts: ['A#w0', 'A#w1', 'A#w2', 'A#w3', 'A#w4'], removes: [] },
      { puts: ['B', 'C'], removes: [] },
    ]);
    const w3 = engine.index.getDoc('A#w3')!;
    expect(w3).toEqual({ id: 'A#w3', text: A60.slice(108, 144), meta: { m3window: { parent: 'A', index: 3, start: 108, end: 144 } } });
  });

  it('a text that fits one window, or is short, stays an ordinary document', async () => {
    const engine = new M3Search(wordEncoder(), {}, WIN);
    const fits = alt(12); // 12 words = the budget, 35 characters
    const report = await engine.add([{ id: 'F', text: fits }, { id: 'S', text: 'ab' }]);
    expect(report.windowed).toBeUndefined();
    expect(engine.index.has('F')).toBe(true);
    expect(engine.index.has('F#w0')).toBe(false);
    expect(engine.index.size).toBe(2);
  });

  it('the window size defaults to the model max length (64 → 60 tokens: A60 fits), the overlap to an eighth of the window', async () => {
    const plain = new M3Search(wordEncoder(), {}, { longDocuments: 'windows' });
    expect((await plain.add([{ id: 'A', text: A60 }])).windowed).toBeUndefined();
    expect(plain.index.has('A')).toBe(true);
    // size 16 → overlap 2 words: [0,36) [30,66) [60,96) [90,126) [120,156) [150,179).
    const enc = wordEncoder();
    const overlapped = new M3Search(enc, {}, { longDocuments: 'windows', windowSize: 16 });
    expect((await overlapped.add([{ id: 'A', text: A60 }])).windowed).toEqual({ A: 6 });
    const starts = [0, 30, 60, 90, 120, 150];
    const ends = [36, 66, 96, 126, 156, 179];
    expect(enc.calls[0]!.texts).toEqual(starts.map((s, i) => A60.slice(s, ends[i])));
    // Per-call options win over the engine's.
    const perCall = new M3Search(wordEncoder(), {}, { longDocuments: 'truncate', windowSize: 32, windowOverlap: 3 });
    expect((await perCall.add([{ id: 'A', text: A60 }], { longDocuments: 'windows', windowSize: 16, windowOverlap: 0 })).windowed).toEqual({ A: 5 });
    expect((await perCall.add([{ id: 'B', text: A60 }])).windowed).toBeUndefined();
  });

  it('encodes windows a batch at a time and reports windows and characters', async () => {
    const enc = wordEncoder();
    const engine = new M3Search(enc, {}, WIN);
    const seen: AddProgress[] = [];
    await engine.add([{ id: 'A', text: A60 }], { batchSize: 1, onProgress: (p) => seen.push({ ...p }) });
    // The first two windows are read ahead; the third completes the first batch.
    expect(enc.calls.map((c) => c.texts.length)).toEqual([3, 1, 1]);
    const p = (done: number, windows: number, chars: number): AddProgress => ({ done, total: 1, unchanged: 0, windows, chars, charsTotal: 179 });
    expect(seen).toEqual([p(0, 0, 0), p(0, 3, 108), p(0, 4, 144), p(0, 5, 179), p(1, 5, 179)]);

    const enc2 = wordEncoder();
    const two = new M3Search(enc2, {}, WIN);
    await two.add([{ id: 'A', text: A60 }], { batchSize: 2 });
    expect(enc2.calls.map((c) => c.texts.length)).toEqual([3, 2]);
  });

  it('a short document before a long one is committed first; characters add up across both', async () => {
    const engine = new M3Search(wordEncoder(), {}, WIN);
    const seen: AddProgress[] = [];
    await engine.add([{ id: 'S', text: 'ab ab' }, { id: 'A', text: A60 }], { onProgress: (p) => seen.push({ ...p }) });
    const p = (done: number, windows: number, chars: number): AddProgress => ({ done, total: 2, unchanged: 0, windows, chars, charsTotal: 184 });
    expect(seen).toEqual([p(0, 0, 0), p(1, 0, 5), p(1, 5, 184), p(2, 5, 184)]);
  });

  it('without windows, progress is done/total/unchanged only', async () => {
    const engine = new M3Search(wordEncoder());
    const seen: AddProgress[] = [];
    await engine.add(['a', 'b', 'c'].map((id) => ({ id, text: `word ${id}` })), { batchSize: 2, onProgress: (p) => seen.push({ ...p }) });
    expect(seen).toEqual([{ done: 0, total: 3, unchanged: 0 }, { done: 2, total: 3, unchanged: 0 }, { done: 3, total: 3, unchanged: 0 }]);
  });

  it('reports truncation per document, windows included', async () => {
    const engine = new M3Search(wordEncoder(), {}, WIN);
    const cut = `${alt(30)} XX ${alt(29)}`; // "XX" lands in the third window
    const report = await engine.add([{ id: 'ok', text: 'ab cd' }, { id: 'short', text: 'XX ab' }, { id: 'long', text: cut }, { id: 'fine', text: A60 }]);
    expect(report.truncated).toEqual(['short', 'long']);
    expect(report.windowed).toEqual({ long: 5, fine: 5 });
  });

  it('searches fold windows into documents: best window as snippet, max or decayed score, filter on the parent', async () => {
    const engine = new M3Search(wordEncoder(), {}, { ...WIN, aggregate: { decay: 0.5, windows: 2 } });
    await engine.add([
      { id: 'A', text: A60, title: 'Long', meta: { kind: 'report' } },
      { id: 'B', text: 'ab zz' },
    ]);
    // Every window of A shares "ab" and "cd" (score 2); B shares "ab" (score 1).
    const max = await engine.search('ab cd', { mode: 'sparse', k: 2, aggregate: 'max' });
    expect(max.map((h) => h.id)).toEqual(['A', 'B']);
    expect(max[0]!.score).toBeCloseTo(2, 3);
    expect(max[1]!.score).toBeCloseTo(1, 3);
    expect(max[0]!.window).toEqual({ index: 0, count: 5, start: 0, end: 36, text: A60.slice(0, 36) });
    expect(max[0]!.doc).toEqual({ id: 'A', text: A60.slice(0, 36), title: 'Long', meta: { kind: 'report' } });
    expect(max[1]!.window).toBeUndefined();
    // The engine's default here: 2 + 0.5·2 = 3; asked for 3 windows: 2 + 1 + 0.5 = 3.5.
    expect((await engine.search('ab cd', { mode: 'sparse', k: 2 }))[0]!.score).toBeCloseTo(3, 3);
    expect((await engine.search('ab cd', { mode: 'sparse', k: 2, aggregate: { decay: 0.5, windows: 3 } }))[0]!.score).toBeCloseTo(3.5, 3);
    // k = 1 still reaches past A's five windows.
    expect((await engine.search('ab cd', { mode: 'sparse', k: 1 })).map((h) => h.id)).toEqual(['A']);
    const seen: Doc[] = [];
    const filtered = await engine.search('ab cd', {
      mode: 'sparse',
      k: 5,
      filter: (d) => {
        seen.push(d);
        return d.meta?.kind !== 'report';
      },
    });
    expect(filtered.map((h) => h.id)).toEqual(['B']);
    expect(seen.length).toBeGreaterThan(0);
    for (const d of seen) {
      expect(['A', 'B']).toContain(d.id);
      expect(d.meta?.m3window).toBeUndefined();
    }
  });

  it('a windowed engine returns 10 documents by default', async () => {
    const engine = new M3Search(wordEncoder(), {}, WIN);
    await engine.add([{ id: 'A', text: A60 }, ...Array.from({ length: 12 }, (_, i) => ({ id: `p${i}`, text: `ab w${i}` }))]);
    const hits = await engine.search('ab', { mode: 'sparse' });
    expect(hits).toHaveLength(10);
    expect(new Set(hits.map((h) => h.id)).size).toBe(10);
  });

  it('re-adding a windowed document: same content is skipped, a field change re-encodes every window', async () => {
    const enc = wordEncoder();
    const engine = new M3Search(enc, {}, WIN);
    await engine.add([{ id: 'A', text: A60, title: 'One' }]);
    const calls = enc.calls.length;
    expect(await engine.add([{ id: 'A', text: A60, title: 'One' }])).toEqual({ added: 0, updated: 0, unchanged: 1, truncated: [], docCount: 1 });
    expect(enc.calls.length).toBe(calls);
    const r = await engine.add([{ id: 'A', text: A60, title: 'Two' }]);
    expect(r).toMatchObject({ added: 0, updated: 1, unchanged: 0, windowed: { A: 5 }, docCount: 1 });
    expect(enc.calls.length).toBe(calls + 1);
    expect(engine.index.getDoc('A#w4')!.title).toBe('Two');
    expect(engine.size).toBe(1);
    expect(engine.index.size).toBe(5);
  });

  it('replacing a windowed document removes exactly the entries no new one replaces', async () => {
    const store = recordingStore();
    const engine = new M3Search(wordEncoder(), {}, { ...WIN, store });
    await engine.add([{ id: 'A', text: A60 }]);
    // 30 words → 3 windows: A#w3 and A#w4 go.
    expect(await engine.update([{ id: 'A', text: alt(30) }])).toMatchObject({ added: 0, updated: 1, windowed: { A: 3 }, docCount: 1 });
    expect(store.writes.at(-1)).toEqual({ puts: ['A#w0', 'A#w1', 'A#w2'], removes: ['A#w3', 'A#w4'] });
    expect(engine.index.size).toBe(3);
    expect((await engine.search('ab', { mode: 'sparse' }))[0]!.window!.count).toBe(3);
    // Long → short: one plain entry, every window removed.
    expect(await engine.update([{ id: 'A', text: 'ab cd' }])).toMatchObject({ added: 0, updated: 1, docCount: 1 });
    expect(store.writes.at(-1)).toEqual({ puts: ['A'], removes: ['A#w0', 'A#w1', 'A#w2'] });
    expect(engine.index.size).toBe(1);
    expect(engine.has('A')).toBe(true);
    expect((await engine.search('ab', { mode: 'sparse' }))[0]!.window).toBeUndefined();
    // Short → long: the plain entry goes.
    await engine.update([{ id: 'A', text: A60 }]);
    expect(store.writes.at(-1)).toEqual({ puts: ['A#w0', 'A#w1', 'A#w2', 'A#w3', 'A#w4'], removes: ['A'] });
    expect(engine.size).toBe(1);
    expect(engine.index.size).toBe(5);
    // And the same text again is unchanged (its hash was kept through all of it).
    expect((await engine.add([{ id: 'A', text: A60 }])).unchanged).toBe(1);
  });

  it('reopened from a filled index with stored hashes: windows counted, unchanged documents skipped, unknown hashes ignored', async () => {
    const first = new M3Search(wordEncoder(), {}, WIN);
    const docs = [{ id: 'A', text: A60 }, { id: 'B', text: 'ab zz' }];
    await first.add(docs);
    const hashes = new Map<string, string>([['ghost', sha('ghost text')]]);
    for (const id of first.index.ids()) hashes.set(id, sha(id === 'B' ? 'ab zz' : A60));
    const enc = wordEncoder();
    const reopened = new M3Search(enc, first.index, { ...WIN, hashes });
    expect(reopened.size).toBe(2);
    expect(reopened.has('A')).toBe(true);
    expect(await reopened.add(docs)).toMatchObject({ added: 0, updated: 0, unchanged: 2, docCount: 2 });
    expect(enc.calls).toEqual([]);
    expect(await reopened.add([{ id: 'ghost', text: 'ghost text' }])).toMatchObject({ added: 1, unchanged: 0, docCount: 3 });
    // Without hashes, the same documents are re-encoded (as updates).
    const noHashes = new M3Search(wordEncoder(), first.index, WIN as EngineOptions);
    expect(await noHashes.add(docs)).toMatchObject({ added: 0, updated: 2, unchanged: 0, docCount: 3 });
  });
});

describe('M3Search: more window and storage cases', () => {
  it('windows count content tokens only, never the special tokens the tokenizer adds', async () => {
    const enc = wordEncoder();
    // This tokenizer adds [CLS] and [SEP] unless asked not to.
    const withSpecials = { ...enc, tokenizer: { ids: (t: string, o?: { special?: boolean }) => (o?.special === false ? wordsOf(t).map(idOf) : [0, ...wordsOf(t).map(idOf), 2]), specialIds: new Set([0, 2]) } };
    const engine = new M3Search(withSpecials, {}, WIN);
    expect((await engine.add([{ id: 'A', text: A60 }])).windowed).toEqual({ A: 5 });
    expect(enc.calls[0]!.texts).toEqual([A60.slice(0, 36), A60.slice(36, 72), A60.slice(72, 108), A60.slice(108, 144), A60.slice(144, 179)]);
  });

  it('a windowed engine without an aggregate setting scores a document by its best window', async () => {
    const engine = new M3Search(wordEncoder(), {}, WIN);
    await engine.add([{ id: 'A', text: A60 }]);
    const [hit] = await engine.search('ab cd', { mode: 'sparse', k: 1 });
    expect(hit!.score).toBeCloseTo(2, 3);
  });

  it('re-adding a windowed document with changed meta re-encodes it', async () => {
    const enc = wordEncoder();
    const engine = new M3Search(enc, {}, WIN);
    await engine.add([{ id: 'A', text: A60, meta: { v: 1 } }]);
    expect((await engine.add([{ id: 'A', text: A60, meta: { v: 1 } }])).unchanged).toBe(1);
    expect(await engine.add([{ id: 'A', text: A60, meta: { v: 2 } }])).toMatchObject({ updated: 1, unchanged: 0 });
    expect(engine.index.getDoc('A#w2')!.meta).toEqual({ v: 2, m3window: { parent: 'A', index: 2, start: 72, end: 108 } });
  });

  it('an int8 dense index checks sizes in elements, not bytes', async () => {
    const engine = new M3Search(wordEncoder(), { dense: 'int8' });
    expect((await engine.add([{ id: 'a', text: 'ab' }, { id: 'b', text: 'cd' }])).added).toBe(2);
    expect((await engine.add([{ id: 'c', text: 'ef' }])).added).toBe(1);
    await expect(engine.add([{ id: 'x', text: 'dim3 ab' }])).rejects.toMatchObject({ code: 'MODEL_MISMATCH', message: 'The encoder produced 3/2-dim vectors but the index holds 2/2.' });
  });
});

describe('M3Search: plain writes, removal, clearing', () => {
  it('counts added, updated (text or fields) and unchanged; a field-only change is not encoded', async () => {
    const enc = wordEncoder();
    const store = recordingStore();
    const engine = new M3Search(enc, {}, { store });
    expect(await engine.add([{ id: 'a', text: 'one two' }, { id: 'b', text: 'three' }])).toEqual({ added: 2, updated: 0, unchanged: 0, truncated: [], docCount: 2 });
    expect(await engine.add([{ id: 'a', text: 'one two' }, { id: 'b', text: 'three' }])).toEqual({ added: 0, updated: 0, unchanged: 2, truncated: [], docCount: 2 });
    expect(enc.calls).toHaveLength(1);
    const r = await engine.update([{ id: 'a', text: 'one two', title: 'T' }, { id: 'b', text: 'four' }, { id: 'c', text: 'five' }]);
    expect(r).toEqual({ added: 1, updated: 2, unchanged: 0, truncated: [], docCount: 3 });
    expect(enc.calls.map((c) => c.texts)).toEqual([['one two', 'three'], ['four', 'five']]);
    expect(store.writes.slice(1)).toEqual([{ puts: ['a'], removes: [] }, { puts: ['b', 'c'], removes: [] }]);
    expect(engine.index.getDoc('a')).toEqual({ id: 'a', text: 'one two', title: 'T' });
    expect((await engine.search('one', { mode: 'sparse', k: 1 }))[0]!.doc.title).toBe('T');
  });

  it('remove: ids, duplicates, unknown ids and window ids; every window of a document goes', async () => {
    const store = recordingStore();
    const engine = new M3Search(wordEncoder(), {}, { ...WIN, store });
    await engine.add([{ id: 'A', text: A60 }, { id: 'B', text: 'ab zz' }]);
    expect(await engine.remove(['A', 'A', 'nope', 'A#w0'])).toEqual({ removed: 1, docCount: 1 });
    expect(store.writes.at(-1)).toEqual({ puts: [], removes: ['A#w0', 'A#w1', 'A#w2', 'A#w3', 'A#w4'] });
    expect(engine.index.size).toBe(1);
    expect(engine.has('A')).toBe(false);
    expect(await engine.remove([])).toEqual({ removed: 0, docCount: 1 });
    for (const bad of [5, ['B', 5], null, { id: 'B' }]) {
      const e = await rejection(engine.remove(bad as unknown as string[]));
      expect(e).toMatchObject({ code: 'INVALID_DOCUMENT', message: 'remove() expects a document id or an array of ids (strings).' });
    }
    expect(engine.size).toBe(1);
    expect(await engine.remove('B')).toEqual({ removed: 1, docCount: 0 });
    expect(store.writes.at(-1)).toEqual({ puts: [], removes: ['B'] });
    // A removed document is re-encoded when added again (its hash went with it).
    expect((await engine.add([{ id: 'B', text: 'ab zz' }])).added).toBe(1);
  });

  it('clear empties the store and memory; the same documents are then encoded again', async () => {
    const enc = wordEncoder();
    const store = recordingStore();
    const engine = new M3Search(enc, {}, { ...WIN, store });
    await engine.add([{ id: 'A', text: A60 }, { id: 'B', text: 'ab zz' }]);
    await engine.clear();
    expect(store.clears).toBe(1);
    expect([engine.size, engine.index.size, engine.has('A'), engine.has('B')]).toEqual([0, 0, false, false]);
    const e = await rejection(engine.search('ab'));
    expect(e).toMatchObject({ code: 'INDEX_EMPTY', message: 'Nothing is indexed yet; add documents before searching.' });
    const calls = enc.calls.length;
    expect(await engine.add([{ id: 'A', text: A60 }])).toMatchObject({ added: 1, unchanged: 0, windowed: { A: 5 }, docCount: 1 });
    expect(enc.calls.length).toBe(calls + 1);
  });

  it('search refuses an empty or blank query (before encoding) and an empty index', async () => {
    const enc = wordEncoder();
    const engine = new M3Search(enc);
    expect(await rejection(engine.search('ab'))).toMatchObject({ code: 'INDEX_EMPTY' });
    await engine.add([{ id: 'a', text: 'ab' }]);
    const calls = enc.calls.length;
    for (const q of ['', '   ', 42]) {
      const e = await rejection(engine.search(q as string));
      expect(e).toMatchObject({ code: 'EMPTY_QUERY', message: 'The query is empty; type at least one word.' });
    }
    expect(enc.calls.length).toBe(calls);
    expect((await engine.search(' ab ', { mode: 'sparse' })).map((h) => h.id)).toEqual(['a']);
    expect(enc.calls.at(-1)).toMatchObject({ texts: [' ab '], kind: 'query' });
  });

  it('encode() hands texts to the encoder as the given kind', async () => {
    const enc = wordEncoder();
    const engine = new M3Search(enc);
    const [e] = await engine.encode(['ab cd'], 'query');
    expect([...e!.dense]).toEqual([1, 0]);
    expect(e!.sparse.ids).toHaveLength(2);
    expect(enc.calls).toEqual([{ texts: ['ab cd'], kind: 'query', batchSize: undefined }]);
    expect(engine.sparsity()).toBeDefined();
  });
});

describe('M3Search: options and errors', () => {
  it.each([
    [{ batchSize: 0 }, 'batchSize must be a positive integer', { batchSize: 0 }],
    [{ batchSize: -1 }, 'batchSize must be a positive integer', { batchSize: -1 }],
    [{ batchSize: 1.5 }, 'batchSize must be a positive integer', { batchSize: 1.5 }],
    [{ longDocuments: 'split' }, "longDocuments must be 'truncate' or 'windows'.", { longDocuments: 'split' }],
    [{ longDocuments: 'windows', windowSize: 15 }, 'windowSize must be an integer ≥ 16.', { windowSize: 15 }],
    [{ longDocuments: 'windows', windowSize: 16.5 }, 'windowSize must be an integer ≥ 16.', { windowSize: 16.5 }],
    [{ longDocuments: 'windows', windowSize: 65 }, "windowSize 65 exceeds the model's max length 64.", { windowSize: 65 }],
    [{ longDocuments: 'windows', windowSize: 16, windowOverlap: -1 }, 'windowOverlap must be an integer ≥ 0 and below half the window.', { windowOverlap: -1 }],
    [{ longDocuments: 'windows', windowSize: 16, windowOverlap: 8 }, 'windowOverlap must be an integer ≥ 0 and below half the window.', { windowOverlap: 8 }],
    [{ longDocuments: 'windows', windowSize: 16, windowOverlap: 2.5 }, 'windowOverlap must be an integer ≥ 0 and below half the window.', { windowOverlap: 2.5 }],
  ])('refuses %j', async (opts, message, details) => {
    const enc = wordEncoder();
    const engine = new M3Search(enc);
    const e = await rejection(engine.add([{ id: 'A', text: A60 }], opts as never));
    expect(e).toBeInstanceOf(M3SearchError);
    expect(e).toMatchObject({ code: 'INVALID_OPTION', message, details });
    expect(enc.calls).toEqual([]);
    expect(engine.size).toBe(0);
  });

  it.each([
    [{ batchSize: 1 }],
    [{ longDocuments: 'windows', windowSize: 16 }],
    [{ longDocuments: 'windows', windowSize: 64 }],
    [{ longDocuments: 'windows', windowSize: 16, windowOverlap: 7 }],
    [{ longDocuments: 'windows', windowSize: 16, windowOverlap: 0 }],
    [{ longDocuments: 'truncate' }],
  ])('accepts %j', async (opts) => {
    const engine = new M3Search(wordEncoder());
    expect((await engine.add([{ id: 'A', text: A60 }], opts as never)).added).toBe(1);
  });

  it('refuses vectors of another size before writing anything; a document without token vectors passes', async () => {
    const store = recordingStore();
    const engine = new M3Search(wordEncoder(), {}, { store });
    await engine.add([{ id: 'a', text: 'ab' }]);
    const dense = await rejection(engine.add([{ id: 'x', text: 'dim3 ab' }]));
    expect(dense).toMatchObject({ code: 'MODEL_MISMATCH', message: 'The encoder produced 3/2-dim vectors but the index holds 2/2.', details: { id: 'x' } });
    const multi = await rejection(engine.add([{ id: 'y', text: 'mdim3 ab' }]));
    expect(multi).toMatchObject({ code: 'MODEL_MISMATCH', message: 'The encoder produced 2/3-dim vectors but the index holds 2/2.', details: { id: 'y' } });
    expect(store.writes).toHaveLength(1);
    expect(engine.size).toBe(1);
    expect((await engine.add([{ id: 'z', text: 'nomulti ab' }])).added).toBe(1);
    // An empty index takes any size.
    const fresh = new M3Search(wordEncoder());
    expect((await fresh.add([{ id: 'x', text: 'dim3 mdim3' }])).added).toBe(1);
    expect(fresh.index.dims).toEqual({ dense: 3, multi: 3 });
  });

  it('a failed write says how many documents were committed before it', async () => {
    const full = new M3SearchError('QUOTA_EXCEEDED', 'store is full', { quota: 1 });
    const docs = ['a', 'b', 'c', 'd'].map((id) => ({ id, text: `word ${id}` }));
    const second = new M3Search(wordEncoder(), {}, { store: recordingStore({ at: 2, error: full }) });
    const e2 = await rejection(second.add(docs, { batchSize: 2 }));
    expect(e2).toMatchObject({ code: 'QUOTA_EXCEEDED', message: 'store is full (2 of 4 documents were committed before this and stay stored)' });
    expect(e2.details).toEqual({ quota: 1, committed: 2, total: 4 });
    expect(second.size).toBe(2);
    const first = new M3Search(wordEncoder(), {}, { store: recordingStore({ at: 1, error: full }) });
    const e1 = await rejection(first.add(docs, { batchSize: 2 }));
    expect(e1.message).toBe('store is full');
    expect(e1.details).toEqual({ quota: 1, committed: 0, total: 4 });
    // Anything else passes through as it is.
    const plain = new Error('disk on fire');
    const other = new M3Search(wordEncoder(), {}, { store: recordingStore({ at: 1, error: plain }) });
    expect(await rejection(other.add(docs))).toBe(plain);
  });
});
