// Model conventions in m3search.json and presets (issue #15): pooling,
// normalization and query/passage prefixes, checked against the raw ONNX graph
// run by the test itself; presets by name; dense-only models in the engine.
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TypedTensor } from 'onnxruntime-common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { M3Search } from '../../src/engine/engine.js';
import { checkManifest } from '../../src/model/manifest.js';
import { getPreset, MODEL_PRESETS } from '../../src/model/presets.js';
import { loadModel } from '../../src/node/load-model.js';
import { runRawGraph } from '../helpers/raw-graph.js';
import { testModel } from '../helpers/test-model.js';

let tmp: string;
let layouts: Awaited<ReturnType<typeof testModel>>['layouts'];

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'm3s-conv-'));
  layouts = (await testModel()).layouts;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of a test-model layout whose m3search.json has `patch` applied (undefined values delete, `null` manifest removes it). */
function variant(layout: keyof typeof layouts, patch: Record<string, unknown> | null): string {
  const dir = mkdtempSync(path.join(tmp, `${layout}-`));
  cpSync(layouts[layout], dir, { recursive: true });
  const file = path.join(dir, 'm3search.json');
  if (patch === null) unlinkSync(file);
  else writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), ...patch }));
  return dir;
}

/** Reference dense vector: the graph's last_hidden_state for `ids`, pooled in plain float64 loops. */
async function reference(dir: string, onnx: string, ids: number[], pooling: 'cls' | 'mean' | 'last', normalize: boolean): Promise<number[]> {
  const out = await runRawGraph(dir, onnx, ids);
  const h = out.last_hidden_state as TypedTensor<'float32'>;
  const [, T, H] = h.dims as [number, number, number];
  const rows = pooling === 'cls' ? [0] : pooling === 'last' ? [T - 1] : Array.from({ length: T }, (_, t) => t);
  const v = new Array<number>(H).fill(0);
  for (const t of rows) for (let i = 0; i < H; i++) v[i]! += h.data[t * H + i]! / rows.length;
  if (!normalize) return v;
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

const TEXT = 'Service workers intercept requests.';

function expectClose(got: Float32Array, want: number[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(got[i]!).toBeCloseTo(want[i]!, 5);
}

describe('pooling and normalization', () => {
  it.each([
    ['mean', true],
    ['mean', false],
    ['last', true],
    ['cls', false],
  ] as const)('pooling %s, normalize %s equals the raw graph pooled by hand', async (pooling, normalize) => {
    const dir = variant('hidden-state', { pooling, normalize });
    const enc = await loadModel(dir);
    try {
      const ids = enc.tokenizer.ids(TEXT);
      const [got] = await enc.encode([TEXT]);
      expectClose(got!.dense, await reference(dir, enc.info.onnxFile, ids, pooling, normalize));
      expect(enc.info).toMatchObject({ pooling, normalize });
      // Sparse and multi-vectors do not depend on the dense pooling.
      expect(got!.sparse.ids.length).toBeGreaterThan(0);
    } finally {
      await enc.dispose();
    }
  });

  it('mean pooling ignores padding: a text batched with a longer one gets the same vector as alone', async () => {
    const enc = await loadModel(variant('hidden-state', { pooling: 'mean' }));
    try {
      const [alone] = await enc.encode([TEXT]);
      const [batched] = await enc.encode([TEXT, `${TEXT} ${TEXT} ${TEXT} and many more words after it`], { batchSize: 2 });
      expectClose(batched!.dense, [...alone!.dense]);
    } finally {
      await enc.dispose();
    }
  });

  it('heads-in-graph: mean pooling reads the hidden states, not the graph\'s [CLS] output', async () => {
    const dir = variant('heads-in-graph', { pooling: 'mean' });
    const enc = await loadModel(dir);
    try {
      const [got] = await enc.encode([TEXT]);
      expectClose(got!.dense, await reference(dir, enc.info.onnxFile, enc.tokenizer.ids(TEXT), 'mean', true));
    } finally {
      await enc.dispose();
    }
  });

  it('the defaults are BGE-M3\'s: cls, normalized, no prefix, fingerprint unchanged by writing them out', async () => {
    const plain = await loadModel(layouts['hidden-state']);
    const explicit = await loadModel(variant('hidden-state', { pooling: 'cls', normalize: true, queryPrefix: '', passagePrefix: '' }));
    try {
      expect(plain.info).toMatchObject({ pooling: 'cls', normalize: true });
      expect(plain.info.queryPrefix).toBeUndefined();
      expect(explicit.info.fingerprint).toBe(plain.info.fingerprint);
      expect(explicit.info.maxLength).toBe(plain.info.maxLength);
      const [a] = await plain.encode([TEXT], { kind: 'query' });
      const [b] = await explicit.encode([TEXT], { kind: 'query' });
      expect(b).toEqual(a);
      expectClose(a!.dense, await reference(layouts['hidden-state'], plain.info.onnxFile, plain.tokenizer.ids(TEXT), 'cls', true));
    } finally {
      await plain.dispose();
      await explicit.dispose();
    }
  });
});

describe('query and passage prefixes', () => {
  it('E5 style: "query: " reaches the tokenizer for queries, "passage: " for passages', async () => {
    const dir = variant('hidden-state', { pooling: 'mean', queryPrefix: 'query: ', passagePrefix: 'passage: ' });
    const enc = await loadModel(dir);
    const plain = await loadModel(layouts['hidden-state']);
    try {
      const qIds = enc.tokenizer.ids(`query: ${TEXT}`);
      const pIds = enc.tokenizer.ids(`passage: ${TEXT}`);
      expect(qIds).not.toEqual(pIds);
      expect(enc.tokenize(TEXT, undefined, 'query').ids).toEqual(qIds);
      expect(enc.tokenize(TEXT).ids).toEqual(pIds);
      const [q] = await enc.encode([TEXT], { kind: 'query' });
      const [p] = await enc.encode([TEXT]);
      expect(q!.tokens).toBe(qIds.length);
      expect(p!.tokens).toBe(pIds.length);
      expect(q!.tokens).toBeGreaterThan(enc.tokenizer.ids(TEXT).length);
      expectClose(q!.dense, await reference(dir, enc.info.onnxFile, qIds, 'mean', true));
      expectClose(p!.dense, await reference(dir, enc.info.onnxFile, pIds, 'mean', true));
      expect(enc.info).toMatchObject({ queryPrefix: 'query: ', passagePrefix: 'passage: ' });
      // Other conventions are another model as far as stored indexes go.
      expect(enc.info.fingerprint).not.toBe(plain.info.fingerprint);
    } finally {
      await enc.dispose();
      await plain.dispose();
    }
  });

  it('BGE v1.5 style: an instruction on queries only; maxLength leaves room for it so text sized by it is never cut', async () => {
    const instruction = 'Represent this sentence for searching relevant passages: ';
    const enc = await loadModel(variant('hidden-state', { queryPrefix: instruction, maxLength: 64 }));
    try {
      const room = enc.tokenizer.ids(instruction, { special: false }).length + 1;
      expect(enc.info.maxLength).toBe(64 - room);
      expect(enc.tokenize(TEXT).ids).toEqual(enc.tokenizer.ids(TEXT));
      expect(enc.tokenize(TEXT, undefined, 'query').ids).toEqual(enc.tokenizer.ids(instruction + TEXT));
      // A passage of exactly info.maxLength tokens is not truncated; as a query it still fits with the instruction.
      const words = (n: number) => Array.from({ length: n }, () => 'word').join(' ');
      let n = 1;
      while (enc.tokenizer.ids(words(n + 1)).length <= enc.info.maxLength) n++;
      const [p] = await enc.encode([words(n)]);
      const [q] = await enc.encode([words(n)], { kind: 'query' });
      expect(p!.truncated).toBe(false);
      expect(q!.truncated).toBe(false);
      expect(q!.tokens).toBeLessThanOrEqual(64);
    } finally {
      await enc.dispose();
    }
  });
});

describe('manifest fields are checked', () => {
  it.each([
    ['pooling', 'max'],
    ['pooling', 1],
    ['normalize', 'yes'],
    ['queryPrefix', 5],
    ['passagePrefix', ['passage: ']],
    ['queryPrefix', 'x'.repeat(1001)],
  ])('%s: %j is MODEL_FILES naming the field', async (field, value) => {
    const err = await loadModel(variant('hidden-state', { [field]: value })).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'M3SearchError', code: 'MODEL_FILES', details: { field } });
    expect((err as Error).message).toContain(field);
  });

  it('multiCls with mean pooling is INVALID_OPTION; prefixes that leave no room for text are MODEL_MISMATCH', async () => {
    await expect(loadModel(variant('hidden-state', { pooling: 'mean' }), { multiCls: 16 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(loadModel(variant('hidden-state', { maxLength: 8, queryPrefix: 'word word word word word word word ' }))).rejects.toMatchObject({ code: 'MODEL_MISMATCH', details: { field: 'queryPrefix' } });
  });

  it('checkManifest accepts every preset\'s conventions', () => {
    for (const p of Object.values(MODEL_PRESETS)) expect(checkManifest(p.manifest, p.name)).toBe(p.manifest);
  });
});

describe('presets', () => {
  it('lists the documented models with hub folders, dims and signals (dense-only except bge-m3)', () => {
    expect(Object.keys(MODEL_PRESETS)).toEqual(
      expect.arrayContaining(['bge-m3', 'bge-small-en-v1.5', 'bge-base-en-v1.5', 'multilingual-e5-small', 'multilingual-e5-base', 'multilingual-e5-large', 'all-MiniLM-L6-v2', 'gte-small', 'nomic-embed-text-v1.5']),
    );
    for (const p of Object.values(MODEL_PRESETS)) {
      expect(p.url).toBe(`https://huggingface.co/${p.repo}/resolve/main/`);
      expect(p.signals).toEqual(p.name === 'bge-m3' ? ['dense', 'sparse', 'multi'] : ['dense']);
    }
    expect(getPreset('multilingual-e5-small').manifest).toMatchObject({ pooling: 'mean', queryPrefix: 'query: ', passagePrefix: 'passage: ' });
    expect(getPreset('nomic-embed-text-v1.5').manifest).toMatchObject({ queryPrefix: 'search_query: ', passagePrefix: 'search_document: ' });
    expect(getPreset('bge-small-en-v1.5').manifest.passagePrefix).toBeUndefined();
    expect(() => getPreset('bge-m4')).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });

  it('a folder without m3search.json loaded via a preset name and a local source gets the preset\'s conventions', async () => {
    const dir = variant('hidden-state', null);
    const enc = await loadModel('multilingual-e5-small', { model: dir });
    try {
      expect(enc.info).toMatchObject({ modelId: 'intfloat/multilingual-e5-small', pooling: 'mean', queryPrefix: 'query: ', passagePrefix: 'passage: ' });
      expect(enc.info.maxLength).toBeLessThan(512);
      const [q] = await enc.encode([TEXT], { kind: 'query' });
      expect(q!.tokens).toBe(enc.tokenizer.ids(`query: ${TEXT}`).length);
      expectClose(q!.dense, await reference(dir, enc.info.onnxFile, enc.tokenizer.ids(`query: ${TEXT}`), 'mean', true));
    } finally {
      await enc.dispose();
    }
  });

  it('a folder\'s own m3search.json overrides the preset field by field', async () => {
    const enc = await loadModel(variant('hidden-state', { passagePrefix: '' }), { preset: 'multilingual-e5-small' });
    try {
      expect(enc.info).toMatchObject({ pooling: 'mean', queryPrefix: 'query: ', modelId: 'm3search/tiny-test-hidden-state' });
      expect(enc.info.passagePrefix).toBeUndefined();
    } finally {
      await enc.dispose();
    }
  });

  it('a preset without `model` reads from its hub folder (fetch stubbed: nothing leaves the machine)', async () => {
    const asked: string[] = [];
    const real = globalThis.fetch;
    globalThis.fetch = (async (url: string | URL | Request) => {
      asked.push(String(url));
      return new Response('not here', { status: 404 });
    }) as typeof fetch;
    try {
      await expect(loadModel({ preset: 'gte-small' })).rejects.toMatchObject({ code: 'MODEL_FILES' });
      await expect(loadModel('multilingual-e5-small')).rejects.toMatchObject({ code: 'MODEL_FILES' });
    } finally {
      globalThis.fetch = real;
    }
    expect(asked).toContain(`${getPreset('gte-small').url}tokenizer.json`);
    expect(asked).toContain(`${getPreset('multilingual-e5-small').url}tokenizer.json`);
    expect(asked.every((u) => u.startsWith('https://huggingface.co/Xenova/'))).toBe(true);
  });

  it('a model override without a preset name, an unknown preset, or neither model nor preset is INVALID_OPTION (the unknown one listing the known names)', async () => {
    await expect(loadModel(layouts['hidden-state'], { model: layouts['hidden-state'] })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    for (const call of [() => loadModel(layouts['hidden-state'], { preset: 'nope' }), () => loadModel({ preset: 'nope', model: layouts['hidden-state'] }), () => loadModel({ preset: 'nope' })]) {
      await expect(call()).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('multilingual-e5-small, multilingual-e5-base') });
    }
    await expect(loadModel({})).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });
});

describe('dense-only models in the engine', () => {
  it('index and search: dense and hybrid work; sparse-only and multi-only modes say the model lacks them', async () => {
    const dir = variant('hidden-state', null);
    for (const f of ['sparse_linear.safetensors', 'colbert_linear.safetensors']) unlinkSync(path.join(dir, f));
    const enc = await loadModel({ preset: 'multilingual-e5-small', model: dir });
    try {
      expect(enc.info).toMatchObject({ sparseStyle: 'none', hasMulti: false });
      const engine = new M3Search(enc);
      await engine.add([
        { id: 'sw', text: 'Service workers intercept requests.' },
        { id: 'idb', text: 'IndexedDB stores structured data in the browser.' },
        { id: 'cache', text: 'How do I configure the HTTP cache for offline use?' },
      ]);
      const dense = await engine.search('service workers', { mode: 'dense' });
      expect(dense.map((h) => h.id)).toHaveLength(3);
      const hybrid = await engine.search('service workers', { mode: 'hybrid' });
      expect(hybrid.map((h) => h.id)).toEqual(dense.map((h) => h.id));
      for (const mode of ['sparse', 'multi'] as const) {
        await expect(engine.search('service workers', { mode })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining(mode) });
      }
    } finally {
      await enc.dispose();
    }
  });
});

describe('parity with transformers.js feature-extraction on the same folder', () => {
  // The reference users already trust: pipeline('feature-extraction', …, { pooling, normalize })
  // over the same generated model files, with the prefix written into the text by hand.
  const POOL = { cls: 'cls', mean: 'mean', last: 'last_token' } as const;
  const TEXTS = [TEXT, 'a much longer passage about caching, offline pages and the service worker that serves them'];

  async function theirs(dir: string, texts: string[], pooling: string, normalize: boolean): Promise<number[][]> {
    const tjs = await import('@huggingface/transformers');
    tjs.env.localModelPath = path.dirname(dir) + '/';
    tjs.env.allowRemoteModels = false;
    tjs.env.allowLocalModels = true;
    const extractor = await tjs.pipeline('feature-extraction', path.basename(dir), { dtype: 'fp32' });
    try {
      const out: number[][] = [];
      // One text per call: transformers.js' last_token reads the padded last position of a batch.
      for (const t of texts) out.push(Array.from((await extractor(t, { pooling: pooling as 'mean', normalize })).data as Float32Array));
      return out;
    } finally {
      await extractor.dispose();
    }
  }

  function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
    expect(a.length).toBe(b.length);
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
    return m;
  }

  it.each([
    ['cls', true],
    ['cls', false],
    ['mean', true],
    ['mean', false],
    ['last', true],
    ['last', false],
  ] as const)('pooling %s, normalize %s: max abs error ≤ 1e-5 against pipeline()', async (pooling, normalize) => {
    const dir = variant('hidden-state', { pooling, normalize });
    const enc = await loadModel(dir, { dtype: 'fp32' });
    try {
      const ours = await enc.encode(TEXTS);
      const want = await theirs(dir, TEXTS, POOL[pooling], normalize);
      for (let i = 0; i < TEXTS.length; i++) expect(maxAbs(ours[i]!.dense, want[i]!)).toBeLessThanOrEqual(1e-5);
      // The conventions matter: the other pooling is far off.
      const other = await theirs(dir, [TEXTS[1]!], pooling === 'mean' ? 'cls' : 'mean', normalize);
      expect(maxAbs(ours[1]!.dense, other[0]!)).toBeGreaterThan(1e-3);
    } finally {
      await enc.dispose();
    }
  });

  it('E5-style prefixes: queries equal pipeline("query: " + text), passages pipeline("passage: " + text), never the other', async () => {
    const dir = variant('hidden-state', { pooling: 'mean', normalize: true, queryPrefix: 'query: ', passagePrefix: 'passage: ' });
    const enc = await loadModel(dir, { dtype: 'fp32' });
    try {
      const [q] = await enc.encode([TEXT], { kind: 'query' });
      const [p] = await enc.encode([TEXT]);
      const [wantQ, wantP, bare] = await theirs(dir, [`query: ${TEXT}`, `passage: ${TEXT}`, TEXT], 'mean', true);
      expect(maxAbs(q!.dense, wantQ!)).toBeLessThanOrEqual(1e-5);
      expect(maxAbs(p!.dense, wantP!)).toBeLessThanOrEqual(1e-5);
      expect(maxAbs(q!.dense, wantP!)).toBeGreaterThan(1e-3);
      expect(maxAbs(p!.dense, wantQ!)).toBeGreaterThan(1e-3);
      expect(maxAbs(q!.dense, bare!)).toBeGreaterThan(1e-3);
    } finally {
      await enc.dispose();
    }
  });
});
