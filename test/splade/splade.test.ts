// The SPLADE family: MLM logits → SPLADE-max sparse vectors, checked against an
// independent computation on the raw graph; the pooled [B,V] output style;
// the punctuation/user noise filter; per-side pruning; and the L0 report.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Doc } from '../../src/core/types.js';
import { M3Search } from '../../src/engine/engine.js';
import type { M3Encoder, OrtRuntime } from '../../src/model/encoder.js';
import { loadEncoder } from '../../src/model/load.js';
import { isPunctuationToken, punctuationIds } from '../../src/model/noise.js';
import { fsSource } from '../../src/node/fs-source.js';
import { loadModel } from '../../src/node/load-model.js';
import { testModel } from '../helpers/test-model.js';
import { runRawGraph } from '../helpers/raw-graph.js';

const CORPUS: Doc[] = readFileSync(path.resolve('public/sample-corpus.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Doc);

const TEXTS = [
  'Install the CLI with npm, then run it: `quillpack --help` (version 2.4).',
  'Paris is the capital and the largest city of France, on the river Seine!',
  '日本語のテキスト。東京は日本の首都です。',
];

/** SPLADE-max by hand: max over every non-padding position of log(1+relu(logit)), excluded ids dropped. */
async function reference(dir: string, ids: number[], exclude: ReadonlySet<number>): Promise<Map<number, number>> {
  const T = ids.length;
  const out = await runRawGraph(dir, 'onnx/model.onnx', ids);
  const logits = out.logits!.data as Float32Array;
  const V = out.logits!.dims[2]!;
  const best = new Map<number, number>();
  for (let t = 0; t < T; t++) {
    for (let v = 0; v < V; v++) {
      const w = Math.log(1 + Math.max(0, logits[t * V + v]!));
      if (w > 0 && !exclude.has(v) && w > (best.get(v) ?? 0)) best.set(v, w);
    }
  }
  return best;
}

/** An onnxruntime whose sessions max-pool `logits` [B,T,V] → [B,V] over unmasked positions, like a pooled SPLADE export. */
function pooledOrt(): OrtRuntime {
  return {
    Tensor: ort.Tensor as unknown as OrtRuntime['Tensor'],
    InferenceSession: {
      async create(bytes, options) {
        const inner = await (typeof bytes === 'string' ? ort.InferenceSession.create(bytes, options) : ort.InferenceSession.create(bytes, options));
        return new Proxy(inner, {
          get(target, prop, receiver) {
            if (prop !== 'run') return Reflect.get(target, prop, receiver) as unknown;
            return async (feeds: Record<string, ort.Tensor>, fetches?: string[]) => {
              const out = await target.run(feeds, fetches ?? target.outputNames);
              const lg = out.logits!;
              const [B, T, V] = lg.dims as [number, number, number];
              const mask = feeds.attention_mask!.data as BigInt64Array;
              const data = lg.data as Float32Array;
              const pooled = new Float32Array(B * V).fill(-Infinity);
              for (let b = 0; b < B; b++)
                for (let t = 0; t < T; t++) {
                  if (mask[b * T + t] === 0n) continue;
                  for (let v = 0; v < V; v++) pooled[b * V + v] = Math.max(pooled[b * V + v]!, data[(b * T + t) * V + v]!);
                }
              return { ...out, logits: new ort.Tensor('float32', pooled, [B, V]) };
            };
          },
        });
      },
    } as OrtRuntime['InferenceSession'],
  };
}

describe('SPLADE encoder (generated MLM-head model)', () => {
  let dir: string;
  let encoder: M3Encoder;
  beforeAll(async () => {
    dir = (await testModel()).layouts.splade;
    encoder = await loadModel(dir, { dtype: 'fp32', noiseTokens: ['the', 'and'] });
  });

  it('derives a punctuation filter from the vocabulary and adds the user list', () => {
    expect(encoder.info.sparseStyle).toBe('splade');
    const punct = punctuationIds(encoder.tokenizer);
    expect(punct.size).toBeGreaterThan(5);
    for (const id of punct) expect(isPunctuationToken(encoder.tokenizer.token(id)!)).toBe(true);
    expect(encoder.info.noiseTokens).toBeGreaterThanOrEqual(punct.size + 2);
    expect(isPunctuationToken('\u2581,')).toBe(true);
    expect(isPunctuationToken('##.')).toBe(true);
    expect(isPunctuationToken('\u2581the')).toBe(false);
    expect(isPunctuationToken('\u2581')).toBe(false);
  });

  it('matches SPLADE-max computed from the raw logits, with noise tokens filtered (≤ 1e-4)', async () => {
    const punct = punctuationIds(encoder.tokenizer);
    const userNoise = new Set([...encoder.tokenizer.ids('the', { special: false }), ...encoder.tokenizer.ids('and', { special: false })]);
    const exclude = new Set([...encoder.tokenizer.specialIds, ...punct, ...userNoise]);
    const encoded = await encoder.encode(TEXTS);
    for (let i = 0; i < TEXTS.length; i++) {
      const ref = await reference(dir, encoder.tokenize(TEXTS[i]!).ids, exclude);
      const enc = encoded[i]!;
      expect([...enc.sparse.ids]).toEqual([...ref.keys()].sort((a, b) => a - b));
      enc.sparse.ids.forEach((id, j) => expect(Math.abs(enc.sparse.weights[j]! - ref.get(id)!)).toBeLessThanOrEqual(1e-4));
      expect(enc.sparse.ids.length).toBeGreaterThan(0);
      for (const id of enc.sparse.ids) {
        expect(punct.has(id)).toBe(false);
        expect(userNoise.has(id)).toBe(false);
      }
    }
    // Without the filter, punctuation does enter (the filter is doing the work).
    const raw = await loadModel(dir, { dtype: 'fp32', punctuationFilter: false });
    const [unfiltered] = await raw.encode([TEXTS[0]!]);
    expect([...unfiltered!.sparse.ids].some((id) => punct.has(id))).toBe(true);
  });

  it('reads a pre-pooled [B,V] logits output the same way as [B,T,V]', async () => {
    const pooled = await loadEncoder(fsSource(dir), { ort: pooledOrt(), dtype: 'fp32', noiseTokens: ['the', 'and'] });
    const a = await pooled.encode(TEXTS, { batchSize: 3 });
    const b = await encoder.encode(TEXTS, { batchSize: 3 });
    for (let i = 0; i < TEXTS.length; i++) {
      expect([...a[i]!.sparse.ids]).toEqual([...b[i]!.sparse.ids]);
      a[i]!.sparse.weights.forEach((w, j) => expect(w).toBeCloseTo(b[i]!.sparse.weights[j]!, 5));
    }
  });

  it('prunes queries and passages separately (top-k per side, threshold per side)', async () => {
    const pruned = await loadModel(dir, { dtype: 'fp32', pruning: { query: { topK: 4 }, passage: { threshold: 1 } } });
    const [full] = await encoder.encode([TEXTS[1]!]);
    const [passage] = await pruned.encode([TEXTS[1]!]);
    const query = await pruned.encodeQuery(TEXTS[1]!);
    expect(query.sparse.ids.length).toBe(4);
    expect(Math.min(...query.sparse.weights)).toBeGreaterThanOrEqual(
      [...full!.sparse.weights].sort((x, y) => y - x)[3]! - 1e-6,
    );
    expect(passage!.sparse.ids.length).toBeLessThan(full!.sparse.ids.length);
    expect(Math.min(...passage!.sparse.weights)).toBeGreaterThanOrEqual(1);
  });

  it('searches a corpus and reports the L0 distribution of documents and queries', async () => {
    const engine = new M3Search(encoder);
    const docs = CORPUS.slice(0, 24);
    await engine.add(docs);
    const target = docs[17]!;
    const query = target.text.split(/\s+/).slice(0, 10).join(' ');
    const hits = await engine.search(query, { mode: 'sparse', k: 3 });
    expect(hits[0]!.id).toBe(target.id);
    await engine.search('capital city', { k: 3 });
    const report = engine.sparsity();
    expect(report.docs.count).toBe(24);
    expect(report.queries.count).toBe(2);
    const l0 = docs.map((d) => engine.index.toRecord(d.id)!.sparseIds.byteLength / 4);
    expect(report.docs.mean).toBeCloseTo(l0.reduce((a, b) => a + b, 0) / l0.length, 6);
    expect(report.docs.max).toBe(Math.max(...l0));
    expect(report.docs.min).toBe(Math.min(...l0));
    expect(report.docs.p50).toBeLessThanOrEqual(report.docs.p90);
    expect(report.docs.p90).toBeLessThanOrEqual(report.docs.max);
  });
});
