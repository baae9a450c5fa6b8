// The multiple-[CLS] dense variant for long inputs: a [CLS] before every N
// tokens, the dense vector = normalized mean of their final states, and the
// inserted positions kept out of sparse and multi-vector outputs.
import { beforeAll, describe, expect, it } from 'vitest';
import type { M3Encoder } from '../../src/model/encoder.js';
import { loadModel } from '../../src/node/load-model.js';
import { testModel } from '../helpers/test-model.js';
import { runRawGraph } from '../helpers/raw-graph.js';

const TEXT = 'The search engine indexes every document in the browser and answers questions about history, science, music and travel. '.repeat(4);

describe('multiple [CLS] dense vectors', () => {
  let dir: string;
  let plain: M3Encoder;
  let multi: M3Encoder;
  beforeAll(async () => {
    dir = (await testModel()).layouts['heads-in-graph'];
    plain = await loadModel(dir, { dtype: 'fp32' });
    multi = await loadModel(dir, { dtype: 'fp32', multiCls: 32 });
  });

  it('inserts a [CLS] every 32 tokens and averages their final states', async () => {
    const base = plain.tokenize(TEXT).ids;
    const ids = multi.tokenize(TEXT).ids;
    const cls = base[0]!;
    const content = base.length - 2;
    const inserted = Math.ceil(content / 32) - 1;
    expect(inserted).toBeGreaterThan(1);
    expect(ids.length).toBe(base.length + inserted);
    expect(ids.filter((id) => id === cls)).toHaveLength(inserted + 1);

    const T = ids.length;
    const out = await runRawGraph(dir, 'onnx/model.onnx', ids);
    const hidden = out.last_hidden_state!.data as Float32Array;
    const H = out.last_hidden_state!.dims[2]!;
    const mean = new Float64Array(H);
    ids.forEach((id, t) => {
      if (id === cls) for (let i = 0; i < H; i++) mean[i]! += hidden[t * H + i]!;
    });
    const norm = Math.hypot(...mean);
    const [enc] = await multi.encode([TEXT]);
    for (let i = 0; i < H; i++) expect(Math.abs(enc!.dense[i]! - mean[i]! / norm)).toBeLessThan(1e-4);
    // Token vectors: one per real token after the first [CLS]; inserted positions dropped.
    expect(enc!.multi.count).toBe(T - 1 - inserted);
    // Not vacuous: the text has sparse weights, and [CLS] is not among them.
    expect(enc!.sparse.ids.length).toBeGreaterThan(0);
    expect([...enc!.sparse.ids]).not.toContain(cls);
    // Short texts are untouched.
    const [a] = await plain.encode(['short text']);
    const [b] = await multi.encode(['short text']);
    expect([...b!.dense]).toEqual([...a!.dense]);
  });

  it('rejects a bad interval', async () => {
    await expect(loadModel(dir, { multiCls: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });
});
