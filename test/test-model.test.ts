// The generated tiny test model: every layout loads in onnxruntime-node, its
// outputs have the documented names and shapes, the in-graph heads match
// references computed from the safetensors files, and generation is deterministic.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY } from '../scripts/test-model/graph.js';
import { ensureTestModel, LAYOUTS, MODEL_FILES, type TestLayout, type TestModel } from '../scripts/test-model/index.js';
import { SPECIAL_IDS } from '../scripts/test-model/tokenizer.js';
import { cosine } from './helpers/vectors.js';

type Json = Record<string, unknown>;
type Outputs = Record<string, { dims: readonly number[]; data: Float32Array }>;

const H = TINY.hidden;
const D = TINY.colbertDim;
const FILES = ['model.onnx', 'model_quantized.onnx'] as const;
// Different lengths, so the batch has padding.
const TEXTS = ['The search engine finds documents quickly.', 'Paris is the capital and the largest city of France, on the river Seine.'];
const MULTILINGUAL = '日本語のテキスト 한국어 텍스트 中文文本 النص العربي';

let model: TestModel;
let tokenizer: PreTrainedTokenizer;
let vocabSize: number;
const sessions = new Map<string, ort.InferenceSession>();

async function readJson(file: string): Promise<Json> {
  return JSON.parse(await readFile(file, 'utf8')) as Json;
}

async function session(layout: TestLayout, file: (typeof FILES)[number]): Promise<ort.InferenceSession> {
  const key = `${layout}/${file}`;
  let s = sessions.get(key);
  if (!s) {
    s = await ort.InferenceSession.create(path.join(model.layouts[layout], 'onnx', file));
    sessions.set(key, s);
  }
  return s;
}

interface Batch {
  ids: number[][];
  T: number;
  feeds: Record<string, ort.Tensor>;
}

/** Right-padded batch with the pad id and a 0/1 mask, as the encoder will build it. */
function makeBatch(texts: readonly string[]): Batch {
  const ids = texts.map((t) => tokenizer.encode(t));
  const T = Math.max(...ids.map((x) => x.length));
  const inputIds = new BigInt64Array(ids.length * T).fill(BigInt(SPECIAL_IDS.pad));
  const mask = new BigInt64Array(ids.length * T);
  ids.forEach((row, b) =>
    row.forEach((id, t) => {
      inputIds[b * T + t] = BigInt(id);
      mask[b * T + t] = 1n;
    }),
  );
  return {
    ids,
    T,
    feeds: {
      input_ids: new ort.Tensor('int64', inputIds, [ids.length, T]),
      attention_mask: new ort.Tensor('int64', mask, [ids.length, T]),
    },
  };
}

async function run(layout: TestLayout, file: (typeof FILES)[number], batch: Batch): Promise<Outputs> {
  const raw = await (await session(layout, file)).run(batch.feeds);
  const out: Outputs = {};
  for (const [name, t] of Object.entries(raw)) out[name] = { dims: t.dims, data: t.data as Float32Array };
  return out;
}

/** Minimal safetensors reader (F32 only), independent of the project's own parser. */
async function readSafetensors(file: string): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const bytes = await readFile(file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = Number(view.getBigUint64(0, true));
  const header = JSON.parse(bytes.subarray(8, 8 + len).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    expect(e.dtype).toBe('F32');
    const slice = bytes.subarray(8 + len + e.data_offsets[0], 8 + len + e.data_offsets[1]);
    const data = new Float32Array(slice.length / 4);
    for (let i = 0; i < data.length; i++) data[i] = slice.readFloatLE(i * 4);
    out.set(name, { shape: e.shape, data });
  }
  return out;
}

function row(data: Float32Array, index: number, width: number): Float32Array {
  return data.subarray(index * width, (index + 1) * width);
}

function normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s);
  return v.map((x) => (n > 0 ? x / n : 0));
}


function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** torch Linear: `weight [out,in]·x + bias`. */
function linear(weight: Float32Array, bias: Float32Array, x: Float32Array): Float32Array {
  const outDim = bias.length;
  const inDim = x.length;
  const y = new Float32Array(outDim);
  for (let o = 0; o < outDim; o++) {
    let s = bias[o]!;
    for (let i = 0; i < inDim; i++) s += weight[o * inDim + i]! * x[i]!;
    y[o] = s;
  }
  return y;
}

beforeAll(async () => {
  model = await ensureTestModel();
  const dir = model.layouts['hidden-state'];
  const json = await readJson(path.join(dir, 'tokenizer.json'));
  tokenizer = new PreTrainedTokenizer(json, await readJson(path.join(dir, 'tokenizer_config.json')));
  vocabSize = ((json.model as { vocab: unknown[] }).vocab).length;
});

afterAll(() => {
  for (const s of sessions.values()) void s.release();
});

describe('generated files', () => {
  it('writes every file of every layout, with manifest and HF config', async () => {
    for (const layout of LAYOUTS) {
      const dir = model.layouts[layout];
      let total = 0;
      for (const f of MODEL_FILES) total += (await stat(path.join(dir, f))).size;
      expect(total).toBeLessThan(10 * 1024 * 1024);

      const manifest = await readJson(path.join(dir, 'm3search.json'));
      expect(manifest).toMatchObject({ modelId: `m3search/tiny-test-${layout}`, layout, maxLength: 8192 });
      expect(manifest.onnx).toBeUndefined();
      if (layout === 'heads-in-graph') expect(manifest.colbertIncludesCls).toBe(false);
      else expect(manifest.heads).toEqual({ sparse: 'sparse_linear.safetensors', colbert: 'colbert_linear.safetensors' });

      const config = await readJson(path.join(dir, 'config.json'));
      expect(config).toMatchObject({ model_type: 'xlm-roberta', hidden_size: H, vocab_size: vocabSize, max_position_embeddings: 8194, pad_token_id: 1 });
    }
  });

  it('stores the heads in torch Linear layout', async () => {
    const sparse = await readSafetensors(path.join(model.layouts['hidden-state'], 'sparse_linear.safetensors'));
    expect(sparse.get('weight')!.shape).toEqual([1, H]);
    expect(sparse.get('bias')!.shape).toEqual([1]);
    const colbert = await readSafetensors(path.join(model.layouts['hidden-state'], 'colbert_linear.safetensors'));
    expect(colbert.get('weight')!.shape).toEqual([D, H]);
    expect(colbert.get('bias')!.shape).toEqual([D]);
  });

  it('is deterministic: a fresh generation has the same bytes', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'm3search-test-model-'));
    try {
      const again = await ensureTestModel({ root: tmp, force: true });
      for (const layout of LAYOUTS) {
        for (const f of MODEL_FILES) {
          const a = await readFile(path.join(model.layouts[layout], f));
          const b = await readFile(path.join(again.layouts[layout], f));
          expect(a.equals(b), `${layout}/${f}`).toBe(true);
        }
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it('does not regenerate when the stamp matches', async () => {
    const file = path.join(model.layouts['heads-in-graph'], 'onnx', 'model.onnx');
    const before = (await stat(file)).mtimeMs;
    await ensureTestModel();
    expect((await stat(file)).mtimeMs).toBe(before);
  });
});

describe('tokenizer', () => {
  it('wraps text in <s> … </s>', () => {
    const ids = tokenizer.encode(TEXTS[0]!);
    expect(ids[0]).toBe(SPECIAL_IDS.bos);
    expect(ids.at(-1)).toBe(SPECIAL_IDS.eos);
    // Not vacuous: the text has content tokens, and none of them is <unk>.
    expect(ids.length).toBeGreaterThan(2);
    expect(ids.slice(1, -1)).not.toContain(SPECIAL_IDS.unk);
  });

  it('tokenizes Japanese, Korean, Chinese and Arabic into known pieces and round-trips', () => {
    const ids = tokenizer.encode(MULTILINGUAL);
    const inner = ids.slice(1, -1);
    const unknown = inner.filter((id) => id === SPECIAL_IDS.unk).length;
    expect(unknown / inner.length).toBeLessThan(0.1);
    // Whole pieces win over character splits.
    expect(inner.length).toBeLessThan([...MULTILINGUAL.replace(/ /g, '')].length);
    expect(tokenizer.decode(ids, { skip_special_tokens: true })).toBe(MULTILINGUAL);
    for (const id of inner) expect(id).toBeLessThan(vocabSize);
  });
});

describe.each(LAYOUTS)('layout %s', (layout) => {
  it.each(FILES)('%s has the documented outputs', async (file) => {
    const s = await session(layout, file);
    expect([...s.inputNames].sort()).toEqual(['attention_mask', 'input_ids']);
    const expected = {
      'heads-in-graph': ['last_hidden_state', 'dense_embeddings', 'sparse_weights', 'colbert_vectors'],
      'hidden-state': ['last_hidden_state'],
      splade: ['last_hidden_state', 'logits'],
    }[layout];
    expect([...s.outputNames]).toEqual(expected);

    const batch = makeBatch(TEXTS);
    const out = await run(layout, file, batch);
    const { T } = batch;
    expect(out.last_hidden_state!.dims).toEqual([2, T, H]);
    if (layout === 'heads-in-graph') {
      expect(out.dense_embeddings!.dims).toEqual([2, H]);
      expect(out.sparse_weights!.dims).toEqual([2, T, 1]);
      expect(out.colbert_vectors!.dims).toEqual([2, T - 1, D]);
    }
    if (layout === 'splade') expect(out.logits!.dims).toEqual([2, T, vocabSize]);
    for (const o of Object.values(out)) expect(o.data.every(Number.isFinite)).toBe(true);
  });
});

describe('encoder', () => {
  it('shares one encoder across layouts', async () => {
    const batch = makeBatch(TEXTS);
    const ref = (await run('hidden-state', 'model.onnx', batch)).last_hidden_state!.data;
    for (const layout of ['heads-in-graph', 'splade'] as const) {
      expect(maxAbsDiff((await run(layout, 'model.onnx', batch)).last_hidden_state!.data, ref)).toBeLessThan(1e-5);
    }
  });

  it('masks padding: a padded row equals the same text run alone', async () => {
    const batch = makeBatch(TEXTS);
    const short = batch.ids[0]!.length < batch.ids[1]!.length ? 0 : 1;
    expect(batch.ids[short]!.length).toBeLessThan(batch.T);
    const padded = (await run('hidden-state', 'model.onnx', batch)).last_hidden_state!.data;
    const alone = (await run('hidden-state', 'model.onnx', makeBatch([TEXTS[short]!]))).last_hidden_state!.data;
    const n = batch.ids[short]!.length;
    expect(maxAbsDiff(padded.subarray(short * batch.T * H, (short * batch.T + n) * H), alone)).toBeLessThan(1e-4);
  });

  it('gives hidden states that vary per token and per context', async () => {
    const a = makeBatch(['the search engine']);
    const b = makeBatch(['a search for gold']);
    const ha = (await run('hidden-state', 'model.onnx', a)).last_hidden_state!.data;
    const hb = (await run('hidden-state', 'model.onnx', b)).last_hidden_state!.data;
    const search = a.ids[0]![2]!;
    expect(b.ids[0]![2]).toBe(search);
    const sameToken = cosine(row(ha, 2, H), row(hb, 2, H));
    expect(sameToken).toBeLessThan(0.999); // context changes it…
    // …but identity dominates: "search" is closer to itself in the other text than to any other word there.
    for (let t = 1; t < b.ids[0]!.length - 1; t++) {
      if (t !== 2) expect(sameToken).toBeGreaterThan(cosine(row(ha, 2, H), row(hb, t, H)));
    }
  });

  it('quantized hidden states are close to fp32 but not identical', async () => {
    const batch = makeBatch(TEXTS);
    for (const layout of LAYOUTS) {
      const fp = (await run(layout, 'model.onnx', batch)).last_hidden_state!.data;
      const q8 = (await run(layout, 'model_quantized.onnx', batch)).last_hidden_state!.data;
      const diff = maxAbsDiff(fp, q8);
      expect(diff).toBeGreaterThan(1e-4);
      expect(diff).toBeLessThan(0.5);
      for (let t = 0; t < fp.length / H; t++) expect(cosine(row(fp, t, H), row(q8, t, H))).toBeGreaterThan(0.99);
    }
  });
});

describe('heads-in-graph outputs match references from last_hidden_state and the safetensors heads', () => {
  it.each(FILES)('%s', async (file) => {
    const dir = model.layouts['heads-in-graph'];
    const sparseHead = await readSafetensors(path.join(dir, 'sparse_linear.safetensors'));
    const colbertHead = await readSafetensors(path.join(dir, 'colbert_linear.safetensors'));
    const batch = makeBatch(TEXTS);
    const { T } = batch;
    const out = await run('heads-in-graph', file, batch);
    const hidden = out.last_hidden_state!.data;
    let zeroSparse = 0;
    for (let b = 0; b < 2; b++) {
      const len = batch.ids[b]!.length;
      // dense = normalize(hidden[:, 0])
      expect(maxAbsDiff(row(out.dense_embeddings!.data, b, H), normalize(row(hidden, b * T, H)))).toBeLessThan(1e-4);
      for (let t = 0; t < T; t++) {
        const h = row(hidden, b * T + t, H);
        // sparse = relu(h·w + b); head weights are int8-exact, so this holds for both files.
        const s = Math.max(0, linear(sparseHead.get('weight')!.data, sparseHead.get('bias')!.data, h)[0]!);
        expect(Math.abs(out.sparse_weights!.data[b * T + t]! - s)).toBeLessThan(1e-4);
        if (t < len && s === 0) zeroSparse++;
        if (t === 0) continue;
        // colbert row t-1 = normalize(W·h_t + b), zero at padding.
        const c = row(out.colbert_vectors!.data, b * (T - 1) + t - 1, D);
        if (t < len) {
          const ref = normalize(linear(colbertHead.get('weight')!.data, colbertHead.get('bias')!.data, h));
          expect(maxAbsDiff(c, ref)).toBeLessThan(1e-4);
        } else {
          expect(c.every((x) => x === 0)).toBe(true);
        }
      }
    }
    // Most real tokens carry lexical weight.
    expect(zeroSparse).toBeLessThan((batch.ids[0]!.length + batch.ids[1]!.length) / 2);
  });
});

describe('splade logits', () => {
  it('are sparse after relu and keep most tokens\' own ids', async () => {
    // Several texts: the own-id rate is a statistical property of the random weights.
    const batch = makeBatch([...TEXTS, 'How do I install the command line tool?', 'Weather report: cold winter morning with snow in the mountains.']);
    const logits = (await run('splade', 'model.onnx', batch)).logits!.data;
    const V = vocabSize;
    let positive = 0;
    let own = 0;
    let real = 0;
    batch.ids.forEach((ids, b) =>
      ids.forEach((id, t) => {
        const r = logits.subarray((b * batch.T + t) * V, (b * batch.T + t + 1) * V);
        for (const x of r) if (x > 0) positive++;
        if (id === SPECIAL_IDS.bos || id === SPECIAL_IDS.eos) return;
        real++;
        if (r[id]! > 0) own++;
      }),
    );
    const rows = batch.ids.reduce((n, ids) => n + ids.length, 0);
    expect(positive).toBeGreaterThan(0);
    expect(positive / (rows * V)).toBeLessThan(0.02);
    expect(own / real).toBeGreaterThan(0.5);
  });
});
