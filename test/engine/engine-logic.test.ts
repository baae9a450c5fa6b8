// The engine's own logic with a table-driven encoder: hand-written vectors per
// text, so every signal, fused score and RRF rank is worked out here with
// plain loops. Each mode has a different winner by construction; cancellation
// happens in the middle of an encoder run, not before it.
import { describe, expect, it } from 'vitest';
import { M3SearchError } from '../../src/core/errors.js';
import type { Encoded } from '../../src/core/types.js';
import type { Encoder } from '../../src/core/encoder.js';
import { M3Search } from '../../src/engine/engine.js';

interface V {
  dense: number[];
  sparse: [number, number][];
  multi: number[][];
}

const QUERY = 'the query';
const Q: V = { dense: [1, 0, 0], sparse: [[1, 1], [2, 0.5]], multi: [[1, 0, 0], [0, 1, 0]] };
// Written so that dense, sparse, multi and the weighted hybrid each pick another document.
const DOCS: Record<string, V> = {
  'd-dense': { dense: [1, 0, 0], sparse: [[1, 0.1]], multi: [[0, 0, 1]] },
  'd-sparse': { dense: [0, 1, 0], sparse: [[1, 1], [2, 1]], multi: [[0.8, 0, 0.6]] },
  'd-multi': { dense: [0.6, 0, 0.8], sparse: [[2, 0.4]], multi: [[1, 0, 0], [0, 1, 0]] },
  'd-hybrid': { dense: [0.8, 0.6, 0], sparse: [[1, 0.8]], multi: [[0.8, 0.6, 0]] },
};
const IDS = Object.keys(DOCS);

const toEncoded = (v: V): Encoded => ({
  dense: Float32Array.from(v.dense),
  sparse: { ids: Uint32Array.from(v.sparse.map(([i]) => i)), weights: Float32Array.from(v.sparse.map(([, w]) => w)) },
  multi: { data: Float32Array.from(v.multi.flat()), count: v.multi.length, dim: 3 },
  tokens: 4,
  truncated: false,
});

/** Looks texts up in the table; reports progress per batch and, like a slow model, never checks the signal itself. */
function tableEncoder(hooks: { onQuery?: () => void; onPassages?: (call: number) => void } = {}): Encoder & { calls: number } {
  const enc = {
    calls: 0,
    info: { modelId: 'test/table', fingerprint: 'table-1', maxLength: 512, denseDim: 3, multiDim: 3, sparseStyle: 'lexical' as const, hasMulti: true },
    tokenizer: { ids: (t: string): number[] => t.split(/\s+/).filter(Boolean).map((w) => w.length), specialIds: new Set<number>() },
    async encode(texts: readonly string[], opts: Parameters<Encoder['encode']>[1] = {}): Promise<Encoded[]> {
      enc.calls++;
      if (opts.kind === 'query') {
        hooks.onQuery?.();
        return texts.map(() => toEncoded(Q));
      }
      hooks.onPassages?.(enc.calls);
      const out: Encoded[] = [];
      const size = opts.batchSize ?? texts.length;
      for (let i = 0; i < texts.length; i += size) {
        for (const t of texts.slice(i, i + size)) out.push(toEncoded(DOCS[t] ?? DOCS['d-dense']!));
        opts.onProgress?.({ done: Math.min(i + size, texts.length), total: texts.length });
      }
      return out;
    },
  };
  return enc;
}

const dot = (a: number[], b: number[]): number => a.reduce((s, x, i) => s + x * b[i]!, 0);
function signals(v: V): { dense: number; sparse: number; multi: number } {
  let sparse = 0;
  for (const [qi, qw] of Q.sparse) for (const [di, dw] of v.sparse) if (qi === di) sparse += qw * dw;
  let multi = 0;
  for (const qr of Q.multi) multi += Math.max(...v.multi.map((r) => dot(qr, r)));
  return { dense: dot(Q.dense, v.dense), sparse, multi: multi / Q.multi.length };
}
const EXPECTED = Object.fromEntries(IDS.map((id) => [id, signals(DOCS[id]!)]));
const W = { dense: 0.4, sparse: 0.2, multi: 0.4 };
const byScore = (score: (id: string) => number): string[] => [...IDS].sort((a, b) => score(b) - score(a) || IDS.indexOf(a) - IDS.indexOf(b));

async function engineWithDocs(): Promise<{ engine: M3Search; enc: ReturnType<typeof tableEncoder> }> {
  const enc = tableEncoder();
  const engine = new M3Search(enc, { dense: 'float32' });
  await engine.add(IDS.map((id) => ({ id, text: id })));
  return { engine, enc };
}

describe('M3Search with hand-written vectors', () => {
  it('each mode ranks by its own signal (dense, sparse, multi, hybrid all differ)', async () => {
    const { engine } = await engineWithDocs();
    const hybridOf = (id: string): number => W.dense * EXPECTED[id]!.dense + W.sparse * EXPECTED[id]!.sparse + W.multi * EXPECTED[id]!.multi;
    const want = {
      dense: byScore((id) => EXPECTED[id]!.dense),
      sparse: byScore((id) => EXPECTED[id]!.sparse),
      multi: byScore((id) => EXPECTED[id]!.multi),
      hybrid: byScore(hybridOf),
    };
    // The fixture does what it says: four different winners.
    expect([want.dense[0], want.sparse[0], want.multi[0], want.hybrid[0]]).toEqual(['d-dense', 'd-sparse', 'd-multi', 'd-hybrid']);
    for (const mode of ['dense', 'sparse', 'multi', 'hybrid'] as const) {
      const hits = await engine.search(QUERY, { k: 4, mode });
      expect(hits.map((h) => h.id), mode).toEqual(want[mode]);
      for (const h of hits) {
        const e = EXPECTED[h.id]!;
        const score = mode === 'hybrid' ? hybridOf(h.id) : e[mode];
        expect(h.score, `${mode} ${h.id}`).toBeCloseTo(score, 3); // token rows are float16
      }
    }
    // Hybrid hits carry every signal with its own score.
    const [top] = await engine.search(QUERY, { k: 1 });
    for (const s of ['dense', 'sparse', 'multi'] as const) expect(top!.signals[s]!.score).toBeCloseTo(EXPECTED['d-hybrid']![s], 3);
  });

  it('weights are used as given', async () => {
    const { engine } = await engineWithDocs();
    const w = { dense: 2, sparse: 1, multi: 0 };
    const hits = await engine.search(QUERY, { k: 4, weights: w });
    for (const h of hits) expect(h.score).toBeCloseTo(2 * EXPECTED[h.id]!.dense + EXPECTED[h.id]!.sparse, 5);
    expect(hits.map((h) => h.id)).toEqual(byScore((id) => 2 * EXPECTED[id]!.dense + EXPECTED[id]!.sparse));
  });

  it('RRF: Σ w / (60 + rank) with ranks worked out per signal; the top score is at most Σw / 61', async () => {
    const { engine } = await engineWithDocs();
    const rank = (s: 'dense' | 'sparse' | 'multi') => {
      const order = byScore((id) => EXPECTED[id]![s]);
      return (id: string): number => order.indexOf(id) + 1;
    };
    const r = { dense: rank('dense'), sparse: rank('sparse'), multi: rank('multi') };
    const rrf = (id: string): number => W.dense / (60 + r.dense(id)) + W.sparse / (60 + r.sparse(id)) + W.multi / (60 + r.multi(id));
    const hits = await engine.search(QUERY, { k: 4, fusion: 'rrf' });
    expect(hits.map((h) => h.id)).toEqual(byScore(rrf));
    for (const h of hits) {
      expect(h.score).toBeCloseTo(rrf(h.id), 10);
      for (const s of ['dense', 'sparse', 'multi'] as const) expect(h.signals[s]!.rank, `${s} ${h.id}`).toBe(r[s](h.id));
    }
    expect(hits[0]!.score).toBeLessThanOrEqual((W.dense + W.sparse + W.multi) / 61 + 1e-12);
  });

  it('a cancel in the middle of encoding keeps the committed batches and nothing else, even when the encoder does not check the signal', async () => {
    const enc = tableEncoder();
    const engine = new M3Search(enc);
    const ctl = new AbortController();
    const seen: number[] = [];
    const docs = Array.from({ length: 8 }, (_, i) => ({ id: `doc${i}`, text: IDS[i % 4]! }));
    const run = engine.add(docs, {
      batchSize: 2,
      signal: ctl.signal,
      onProgress: (p) => {
        seen.push(p.done);
        if (p.done === 4) ctl.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED', details: { committed: 4, total: 8 } });
    await expect(run).rejects.toBeInstanceOf(M3SearchError);
    // It really started: two batches were committed before the cancel, and nothing after it.
    expect(seen).toEqual([0, 2, 4]);
    expect(engine.size).toBe(4);
    for (const d of docs) expect(engine.has(d.id)).toBe(d.id < 'doc4');
    // Adding the same documents again resumes: the committed ones cost no encoding.
    const calls = enc.calls;
    expect(await engine.add(docs, { batchSize: 2 })).toMatchObject({ added: 4, unchanged: 4, docCount: 8 });
    expect(enc.calls).toBe(calls + 2);
  });

  it('a cancel that arrives while a group is being encoded commits nothing of that group (the encoder ignores the signal)', async () => {
    const ctl = new AbortController();
    // The third encoder call (documents 4 and 5) sees the cancel arrive mid-call and finishes anyway.
    const enc = tableEncoder({ onPassages: (call) => call === 3 && ctl.abort() });
    const engine = new M3Search(enc);
    const docs = Array.from({ length: 8 }, (_, i) => ({ id: `doc${i}`, text: IDS[i % 4]! }));
    const run = engine.add(docs, { batchSize: 2, signal: ctl.signal });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED', details: { committed: 4, total: 8 } });
    expect(enc.calls).toBe(3);
    expect(engine.size).toBe(4);
    for (const d of docs) expect(engine.has(d.id), d.id).toBe(d.id < 'doc4');
  });

  it('a cancel while the query is encoded rejects the search', async () => {
    const ctl = new AbortController();
    const enc = tableEncoder({ onQuery: () => ctl.abort() });
    const engine = new M3Search(enc);
    await engine.add(IDS.map((id) => ({ id, text: id })));
    await expect(engine.search(QUERY, { signal: ctl.signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('remove and update by id; the removed id is absent from a complete, non-empty list', async () => {
    const { engine } = await engineWithDocs();
    expect(await engine.remove('d-hybrid')).toEqual({ removed: 1, docCount: 3 });
    expect(await engine.remove('d-hybrid')).toEqual({ removed: 0, docCount: 3 });
    expect(engine.size).toBe(3);
    const all = await engine.search(QUERY, { k: 10, mode: 'dense' });
    expect(all.map((h) => h.id).sort()).toEqual(['d-dense', 'd-multi', 'd-sparse']);
    // update replaces the vectors: d-dense now carries d-sparse's and wins the sparse mode alone.
    await engine.update([{ id: 'd-dense', text: 'd-sparse' }]);
    const sparse = await engine.search(QUERY, { k: 10, mode: 'sparse' });
    expect(sparse.map((h) => [h.id, +h.score.toFixed(5)])).toEqual([['d-sparse', 1.5], ['d-dense', 1.5], ['d-multi', 0.2]]);
  });

  it('refuses a bad batch as a whole', async () => {
    const { engine, enc } = await engineWithDocs();
    const calls = enc.calls;
    await expect(engine.add([{ id: 'n1', text: 'd-dense' }, { id: 'n1', text: 'd-sparse' }])).rejects.toMatchObject({ code: 'DUPLICATE_ID' });
    await expect(engine.add([{ id: 'n2', text: 'd-dense' }, { id: 'n3', text: ' ' }])).rejects.toMatchObject({ code: 'INVALID_DOCUMENT' });
    expect(enc.calls).toBe(calls);
    expect(engine.size).toBe(4);
    expect(engine.has('n1')).toBe(false);
    expect(engine.has('n2')).toBe(false);
  });
});
