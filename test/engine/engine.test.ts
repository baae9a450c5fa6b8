// The engine end to end in Node: the generated model encodes, the in-memory
// index ranks, and bad input is refused with typed errors that leave what is
// already indexed untouched.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { M3SearchError } from '../../src/core/errors.js';
import type { Doc } from '../../src/core/types.js';
import { M3Search } from '../../src/engine/engine.js';
import type { M3Encoder } from '../../src/model/encoder.js';
import { loadModel } from '../../src/node/load-model.js';
import { testModel } from '../helpers/test-model.js';

const CORPUS: Doc[] = readFileSync(path.resolve('public/sample-corpus.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Doc);

async function rejection(p: Promise<unknown>): Promise<M3SearchError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(M3SearchError);
  return e as M3SearchError;
}

describe('M3Search over the sample corpus', () => {
  let encoder: M3Encoder;
  let engine: M3Search;

  beforeAll(async () => {
    encoder = await loadModel((await testModel()).layouts['heads-in-graph']);
    engine = new M3Search(encoder);
    const report = await engine.add(CORPUS.slice(0, 120));
    expect(report.added).toBe(120);
  });

  it('finds a passage from a query made of its own words, in every mode (dense: its whole text), with all three signals', async () => {
    const target = CORPUS[37]!;
    const query = target.text.split(/\s+/).slice(0, 12).join(' ');
    for (const mode of ['sparse', 'multi', 'hybrid'] as const) {
      const hits = await engine.search(query, { k: 5, mode });
      expect(hits[0]!.id, mode).toBe(target.id);
    }
    // The generated model's dense vectors carry little meaning, but a passage's whole text is its
    // own nearest neighbour: same text, same vector, cosine 1.
    const dense = await engine.search(target.text, { k: 5, mode: 'dense' });
    expect(dense[0]!.id).toBe(target.id);
    expect(dense[0]!.score).toBeCloseTo(1, 2);
    expect(dense[1]!.score).toBeLessThan(dense[0]!.score);
    const [top] = await engine.search(query, { k: 1 });
    expect(Object.keys(top!.signals).sort()).toEqual(['dense', 'multi', 'sparse']);
    expect(top!.doc.title).toBe(target.title);
    // The hybrid score is the documented weighted sum of the three signals.
    const s = top!.signals;
    expect(top!.score).toBeCloseTo(0.4 * s.dense!.score + 0.2 * s.sparse!.score + 0.4 * s.multi!.score, 5);
  });

  it('honours k and RRF fusion', async () => {
    const hits = await engine.search(CORPUS[3]!.text, { k: 7, fusion: 'rrf' });
    expect(hits).toHaveLength(7);
    for (let i = 1; i < hits.length; i++) expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score);
    // Σ w_s / (60 + rank_s) with the default weights (0.4 + 0.2 + 0.4 = 1): at most 1/61, reached
    // only by a document ranked first by all three signals.
    expect(hits[0]!.score).toBeLessThanOrEqual(1 / 61 + 1e-12);
    for (const h of hits) {
      const r = { dense: h.signals.dense!.rank, sparse: h.signals.sparse!.rank, multi: h.signals.multi!.rank };
      expect(h.score).toBeCloseTo(0.4 / (60 + r.dense) + 0.2 / (60 + r.sparse) + 0.4 / (60 + r.multi), 12);
    }
  });

  it('refuses a bad batch as a whole and keeps what was indexed', async () => {
    const before = engine.size;
    const cases: [Doc[], string][] = [
      [[{ id: 'x1', text: '   ' }], 'INVALID_DOCUMENT'],
      [[{ id: 'x2', text: 42 as unknown as string }], 'INVALID_DOCUMENT'],
      [[{ id: 'x3', text: 'one' }, { id: 'x3', text: 'two' }], 'DUPLICATE_ID'],
      [[{ id: 'x5', text: 'fine' }, { id: 'x6', text: 'ok', title: 5 as unknown as string }], 'INVALID_DOCUMENT'],
    ];
    for (const [docs, code] of cases) expect((await rejection(engine.add(docs))).code).toBe(code);
    expect(engine.size).toBe(before);
    expect(engine.index.has('x5')).toBe(false);
    const hits = await engine.search(CORPUS[0]!.text, { k: 1, mode: 'sparse' });
    expect(hits[0]!.id).toBe(CORPUS[0]!.id);
  });

  it('updates and removes by id', async () => {
    const id = CORPUS[10]!.id;
    await engine.update([{ id, text: 'zebra giraffe savanna migration photographs' }]);
    let hits = await engine.search('zebra giraffe savanna', { k: 1, mode: 'sparse' });
    expect(hits[0]!.id).toBe(id);
    expect(await engine.remove(id)).toEqual({ removed: 1, docCount: engine.size });
    // Dense mode ranks every document: a complete list, so "absent" means something.
    hits = await engine.search('zebra giraffe savanna', { k: engine.size + 5, mode: 'dense' });
    expect(hits).toHaveLength(engine.size);
    expect(hits.map((h) => h.id)).not.toContain(id);
    expect(engine.has(id)).toBe(false);
  });

  it('re-adding skips unchanged documents, rewrites field-only changes without encoding and re-encodes changed text', async () => {
    const small = new M3Search(encoder);
    await small.add(CORPUS.slice(0, 6));
    const passes = encoder.passes;
    const again = await small.add(CORPUS.slice(0, 6));
    expect(again).toMatchObject({ added: 0, updated: 0, unchanged: 6, docCount: 6 });
    expect(encoder.passes).toBe(passes);
    const retitled = await small.add([{ ...CORPUS[1]!, title: 'A new title' }]);
    expect(retitled).toMatchObject({ added: 0, updated: 1, unchanged: 0 });
    expect(encoder.passes).toBe(passes);
    expect(small.index.getDoc(CORPUS[1]!.id)!.title).toBe('A new title');
    const changed = await small.add([{ id: CORPUS[2]!.id, text: 'zebra giraffe savanna migration photographs' }, { id: 'new', text: 'a brand new passage' }]);
    expect(changed).toMatchObject({ added: 1, updated: 1, unchanged: 0, docCount: 7 });
    expect(encoder.passes).toBeGreaterThan(passes);
    const [top] = await small.search('zebra giraffe savanna', { k: 1, mode: 'sparse' });
    expect(top!.id).toBe(CORPUS[2]!.id);
  });

  it('reports truncation instead of cutting silently', async () => {
    const long = Array.from({ length: 300 }, (_, i) => `word${i % 50}`).join(' ');
    const small = new M3Search(await loadModel((await testModel()).layouts['heads-in-graph'], { maxLength: 64 }));
    const report = await small.add([
      { id: 'long', text: long },
      { id: 'short', text: 'short passage' },
    ]);
    expect(report.truncated).toEqual(['long']);
  });

  it('rejects empty queries and queries before anything is indexed', async () => {
    expect((await rejection(engine.search('  '))).code).toBe('EMPTY_QUERY');
    expect((await rejection(new M3Search(encoder).search('hello'))).code).toBe('INDEX_EMPTY');
  });

  it('cancels an add with an AbortSignal and adds nothing', async () => {
    const small = new M3Search(encoder);
    const ctl = new AbortController();
    ctl.abort();
    expect((await rejection(small.add(CORPUS.slice(0, 40), { signal: ctl.signal }))).code).toBe('ABORTED');
    expect(small.size).toBe(0);
  });

  it('cancels an add in the middle of encoding (after two batches): the committed batches stay, the rest is not added', async () => {
    const small = new M3Search(encoder);
    const ctl = new AbortController();
    const done: number[] = [];
    const run = small.add(CORPUS.slice(0, 40), {
      batchSize: 4,
      signal: ctl.signal,
      onProgress: (p) => {
        done.push(p.done);
        if (p.done >= 8) ctl.abort();
      },
    });
    const err = await rejection(run);
    expect(err.code).toBe('ABORTED');
    expect(err.details).toMatchObject({ committed: 8, total: 40 });
    expect(done).toEqual([0, 4, 8]);
    expect(small.size).toBe(8);
    for (const [i, d] of CORPUS.slice(0, 40).entries()) expect(small.has(d.id)).toBe(i < 8);
  });
});
