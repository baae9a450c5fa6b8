// The encoder against an independent reference: the test runs the raw ONNX
// graph itself, reads the head weights with its own safetensors reader and
// applies the BGE-M3 formulas in plain loops.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Encoded } from '../../src/core/types.js';
import type { M3Encoder } from '../../src/model/encoder.js';
import { loadModel } from '../../src/node/load-model.js';
import { testModel } from '../helpers/test-model.js';
import { runRawGraph } from '../helpers/raw-graph.js';

const TEXTS = [
  'How do I configure the HTTP cache for offline use?',
  'Service workers intercept requests.',
  'IndexedDB stores structured data in the browser, including typed arrays, and survives reloads of the page.',
];
const MULTILINGUAL = ['日本語のテキストを検索します', '한국어 텍스트 검색', '中文文本检索', 'البحث في النص العربي'];
/**
 * Repeated words whose largest lexical weight (in the generated model) sits at
 * the first, a middle or the last occurrence: pooling that keeps the first or
 * the last weight instead of the largest gets some of them wrong. The test
 * below checks that each case is really present, so the fixture cannot go
 * soft if the generated model changes.
 */
const REPEATS = [
  'word word word word',
  'the search index the search index the search index',
  'search engine search engine search engine',
];

/** The test model's tokenizer.json, read here rather than through the encoder. */
interface TokenizerJson {
  model: { vocab: [string, number][] };
  added_tokens: { id: number; content: string; special: boolean }[];
  post_processor: { special_tokens: Record<string, { ids: number[] }> };
}
function readTokenizerJson(dir: string): TokenizerJson {
  return JSON.parse(readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')) as TokenizerJson;
}

/** Special ids as tokenizer.json declares them (added tokens marked special). */
function specialIdsOf(tj: TokenizerJson): Set<number> {
  return new Set(tj.added_tokens.filter((t) => t.special).map((t) => t.id));
}

/**
 * Ids of a text made of whole vocabulary words, by direct lookup: `<s> ▁w1 ▁w2 … </s>`
 * (the template of tokenizer.json's post-processor). Not the tokenizer under test.
 */
function idsByLookup(tj: TokenizerJson, text: string): number[] {
  const vocab = new Map(tj.model.vocab.map(([piece], id) => [piece, id]));
  const body = text.split(' ').map((w) => {
    const id = vocab.get(`\u2581${w}`);
    if (id === undefined) throw new Error(`"${w}" is not a whole piece of the test vocabulary`);
    return id;
  });
  return [...tj.post_processor.special_tokens['<s>']!.ids, ...body, ...tj.post_processor.special_tokens['</s>']!.ids];
}

interface Reference {
  dense: number[];
  sparse: Map<number, number>;
  multi: number[][];
  /** relu(H_t·w + b) at every position, special ones included. */
  weights: number[];
}

function readSafetensors(file: string): Record<string, { shape: number[]; data: Float32Array }> {
  const buf = readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const raw = buf.subarray(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]);
    const data = new Float32Array(raw.byteLength / 4);
    for (let i = 0; i < data.length; i++) data[i] = raw.readFloatLE(i * 4);
    out[name] = { shape: e.shape, data };
  }
  return out;
}

const norm = (v: number[]) => {
  const s = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  return s > 0 ? v.map((x) => x / s) : v;
};

/** Runs the graph on one text and applies the formulas from the raw hidden state. */
async function reference(dir: string, onnx: string, ids: number[], special: Set<number>): Promise<Reference> {
  const T = ids.length;
  const out = await runRawGraph(dir, onnx, ids);
  const hidden = out.last_hidden_state!.data as Float32Array;
  const H = out.last_hidden_state!.dims[2]!;
  const row = (t: number) => Array.from(hidden.subarray(t * H, (t + 1) * H));
  const sp = readSafetensors(path.join(dir, 'sparse_linear.safetensors'));
  const cb = readSafetensors(path.join(dir, 'colbert_linear.safetensors'));
  const linear = (w: { shape: number[]; data: Float32Array }, b: { data: Float32Array }, x: number[]) =>
    Array.from({ length: w.shape[0]! }, (_, o) => x.reduce((a, xi, i) => a + xi * w.data[o * w.shape[1]! + i]!, b.data[o]!));
  const weights = Array.from({ length: T }, (_, t) => Math.max(0, linear(sp.weight!, sp.bias!, row(t))[0]!));
  // Max over the occurrences of each id, by collecting them all first.
  const occurrences = new Map<number, number[]>();
  for (let t = 0; t < T; t++) if (!special.has(ids[t]!)) occurrences.set(ids[t]!, [...(occurrences.get(ids[t]!) ?? []), weights[t]!]);
  const sparse = new Map<number, number>();
  for (const [id, ws] of occurrences) if (Math.max(...ws) > 0) sparse.set(id, Math.max(...ws));
  const multi = [];
  for (let t = 1; t < T; t++) multi.push(norm(linear(cb.weight!, cb.bias!, row(t))));
  return { dense: norm(row(0)), sparse, multi, weights };
}

function maxDiff(enc: Encoded, ref: Reference): number {
  let d = 0;
  ref.dense.forEach((x, i) => (d = Math.max(d, Math.abs(x - enc.dense[i]!))));
  expect([...enc.sparse.ids]).toEqual([...ref.sparse.keys()].sort((a, b) => a - b));
  enc.sparse.ids.forEach((id, i) => (d = Math.max(d, Math.abs(ref.sparse.get(id)! - enc.sparse.weights[i]!))));
  expect(enc.multi.count).toBe(ref.multi.length);
  ref.multi.forEach((r, t) => r.forEach((x, j) => (d = Math.max(d, Math.abs(x - enc.multi.data[t * enc.multi.dim + j]!)))));
  return d;
}

describe.each(['heads-in-graph', 'hidden-state'] as const)('encoder, %s layout', (layout) => {
  let encoder: M3Encoder;
  let dir: string;
  beforeAll(async () => {
    dir = (await testModel()).layouts[layout];
    encoder = await loadModel(dir, { dtype: 'fp32' });
  });

  it('reports the layout and dimensions it found', () => {
    expect(encoder.info.layout).toBe(layout);
    expect(encoder.info.onnxFile).toBe('onnx/model.onnx');
    expect(encoder.info.denseDim).toBeGreaterThan(0);
    expect(encoder.info.multiDim).toBeGreaterThan(0);
    expect(encoder.info.sparseStyle).toBe('lexical');
    expect(encoder.info.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('matches an independent computation of the BGE-M3 formulas (≤ 1e-4)', async () => {
    const special = specialIdsOf(readTokenizerJson(dir));
    expect([...special].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 11854]);
    for (const text of [...TEXTS, ...MULTILINGUAL]) {
      const ids = encoder.tokenize(text).ids;
      const ref = await reference(dir, 'onnx/model.onnx', ids, special);
      const [enc] = await encoder.encode([text]);
      expect(maxDiff(enc!, ref)).toBeLessThanOrEqual(1e-4);
      expect(enc!.tokens).toBe(ids.length);
    }
  });

  it('max-pools repeated ids, whichever occurrence carries the largest weight (ids looked up, not tokenized)', async () => {
    const tj = readTokenizerJson(dir);
    const special = specialIdsOf(tj);
    const seen = new Set<'first' | 'middle' | 'last'>();
    for (const text of REPEATS) {
      const ids = idsByLookup(tj, text);
      expect(encoder.tokenize(text).ids).toEqual(ids);
      const ref = await reference(dir, 'onnx/model.onnx', ids, special);
      const [enc] = await encoder.encode([text]);
      for (const id of new Set(ids)) {
        if (special.has(id)) continue;
        const ws = ids.flatMap((x, t) => (x === id ? [ref.weights[t]!] : []));
        if (ws.length < 2) continue;
        const best = ws.indexOf(Math.max(...ws));
        // A clear winner: every other occurrence at least 0.05 below it.
        if (ws.some((w, i) => i !== best && w > ws[best]! - 0.05)) continue;
        seen.add(best === 0 ? 'first' : best === ws.length - 1 ? 'last' : 'middle');
        const at = [...enc!.sparse.ids].indexOf(id);
        expect(at).toBeGreaterThanOrEqual(0);
        expect(enc!.sparse.weights[at]).toBeCloseTo(ws[best]!, 4);
      }
      expect(maxDiff(enc!, ref)).toBeLessThanOrEqual(1e-4);
    }
    expect([...seen].sort()).toEqual(['first', 'last', 'middle']);
  });

  it('gives the same vectors in a padded batch as one by one', async () => {
    const texts = [...TEXTS, ...MULTILINGUAL];
    const batched = await encoder.encode(texts, { batchSize: 8 });
    for (let i = 0; i < texts.length; i++) {
      const [single] = await encoder.encode([texts[i]!]);
      const a = batched[i]!;
      const b = single!;
      expect([...a.sparse.ids]).toEqual([...b.sparse.ids]);
      expect(Math.max(...a.dense.map((x, j) => Math.abs(x - b.dense[j]!)))).toBeLessThan(1e-5);
      expect(Math.max(...a.sparse.weights.map((x, j) => Math.abs(x - b.sparse.weights[j]!)))).toBeLessThan(1e-5);
      expect(a.multi.count).toBe(b.multi.count);
      expect(Math.max(...a.multi.data.map((x, j) => Math.abs(x - b.multi.data[j]!)))).toBeLessThan(1e-5);
    }
  });
});

describe('encoder behaviour', () => {
  let encoder: M3Encoder;
  beforeAll(async () => {
    encoder = await loadModel((await testModel()).layouts['heads-in-graph']);
  });

  it('loads the quantized graph by default', () => {
    expect(encoder.info.onnxFile).toBe('onnx/model_quantized.onnx');
  });

  it('keeps Japanese, Korean, Chinese and Arabic text through tokenization and encoding', async () => {
    const unk = encoder.tokenizer.specialIds;
    for (const text of MULTILINGUAL) {
      const ids = encoder.tokenizer.ids(text, { special: false });
      const known = ids.filter((id) => !unk.has(id)).length;
      expect(known / ids.length).toBeGreaterThan(0.9);
      const [enc] = await encoder.encode([text]);
      expect(enc!.sparse.ids.length).toBeGreaterThan(0);
      expect(enc!.dense.every(Number.isFinite)).toBe(true);
      expect(enc!.multi.count).toBe(enc!.tokens - 1);
    }
    const [ja, ko] = await encoder.encode(MULTILINGUAL.slice(0, 2));
    expect([...ja!.sparse.ids]).not.toEqual([...ko!.sparse.ids]);
  });

  it('reports truncation instead of cutting silently', async () => {
    const short = await loadModel((await testModel()).layouts['heads-in-graph'], { maxLength: 16 });
    const long = 'alpha beta gamma delta epsilon '.repeat(20);
    const [enc] = await short.encode([long, 'short text']);
    expect(enc!.truncated).toBe(true);
    expect(enc!.tokens).toBe(16);
    const [, small] = await short.encode([long, 'short text']);
    expect(small!.truncated).toBe(false);
  });

  it('rejects empty and non-string text with typed errors', async () => {
    await expect(encoder.encode(['  '])).rejects.toMatchObject({ code: 'INVALID_DOCUMENT' });
    await expect(encoder.encode([''], { kind: 'query' })).rejects.toMatchObject({ code: 'EMPTY_QUERY' });
    await expect(encoder.encode([42 as unknown as string])).rejects.toMatchObject({ code: 'INVALID_DOCUMENT' });
  });

  it('can be cancelled between batches', async () => {
    const ctl = new AbortController();
    const texts = Array.from({ length: 40 }, (_, i) => `document number ${i} about caching`);
    const run = encoder.encode(texts, { batchSize: 4, signal: ctl.signal, onProgress: (p) => p.done >= 8 && ctl.abort() });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
