// A model folder with missing or mismatched files gets a typed error a user can act on.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { colbertSkip } from '../../src/model/encoder.js';
import { loadModel } from '../../src/node/load-model.js';
import { SHARED_DIR } from '../helpers/shared.js';
import { testModel } from '../helpers/test-model.js';

let tmp: string;
let layouts: Awaited<ReturnType<typeof testModel>>['layouts'];

function copyModel(layout: keyof typeof layouts): string {
  const dir = mkdtempSync(path.join(tmp, `${layout}-`));
  cpSync(layouts[layout], dir, { recursive: true });
  return dir;
}

/** A safetensors file with one `weight` [out,in] and `bias` [out] of zeros. */
function writeHead(file: string, out: number, inDim: number): void {
  const header = JSON.stringify({
    weight: { dtype: 'F32', shape: [out, inDim], data_offsets: [0, out * inDim * 4] },
    bias: { dtype: 'F32', shape: [out], data_offsets: [out * inDim * 4, (out * inDim + out) * 4] },
  });
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  writeFileSync(file, Buffer.concat([len, Buffer.from(header), Buffer.alloc((out * inDim + out) * 4)]));
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'm3s-model-'));
  layouts = (await testModel()).layouts;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('loading a model folder', () => {
  it('names a folder that does not exist', async () => {
    await expect(loadModel(path.join(tmp, 'nope'))).rejects.toMatchObject({ code: 'MODEL_FILES', message: expect.stringContaining('does not exist') });
  });

  it('names the missing tokenizer', async () => {
    const dir = copyModel('hidden-state');
    rmSync(path.join(dir, 'tokenizer.json'));
    await expect(loadModel(dir)).rejects.toMatchObject({ code: 'MODEL_FILES', message: expect.stringContaining('tokenizer.json') });
  });

  it('names the missing ONNX file', async () => {
    const dir = copyModel('hidden-state');
    rmSync(path.join(dir, 'onnx'), { recursive: true });
    await expect(loadModel(dir)).rejects.toMatchObject({ code: 'MODEL_FILES', message: expect.stringContaining('model_quantized.onnx') });
  });

  it('rejects a file that is not ONNX', async () => {
    const dir = copyModel('hidden-state');
    writeFileSync(path.join(dir, 'onnx', 'model_quantized.onnx'), 'this is not a protobuf');
    await expect(loadModel(dir)).rejects.toMatchObject({ code: 'MODEL_FILES', message: expect.stringContaining('not a loadable ONNX model') });
  });

  it('rejects a tokenizer.json that is not JSON', async () => {
    const dir = copyModel('hidden-state');
    writeFileSync(path.join(dir, 'tokenizer.json'), '{ broken');
    await expect(loadModel(dir)).rejects.toMatchObject({ code: 'MODEL_FILES', message: expect.stringContaining('not valid JSON') });
  });

  it('rejects a tokenizer whose vocabulary is larger than the model', async () => {
    const dir = copyModel('hidden-state');
    cpSync(path.join(SHARED_DIR, 'tokenizers/bert-base-uncased/tokenizer.json'), path.join(dir, 'tokenizer.json'));
    await expect(loadModel(dir)).rejects.toMatchObject({ code: 'MODEL_MISMATCH' });
  });

  it('rejects a head file whose input size does not match the encoder', async () => {
    const dir = copyModel('hidden-state');
    writeHead(path.join(dir, 'colbert_linear.safetensors'), 8, 7);
    await expect(loadModel(dir)).rejects.toMatchObject({ code: 'MODEL_MISMATCH', message: expect.stringContaining('hidden size 7') });
  });

  it('rejects a manifest that promises outputs the graph lacks', async () => {
    const dir = copyModel('hidden-state');
    writeFileSync(path.join(dir, 'm3search.json'), JSON.stringify({ modelId: 'x', layout: 'heads-in-graph' }));
    await expect(loadModel(dir)).rejects.toMatchObject({ code: 'MODEL_FILES', message: expect.stringContaining('lacks') });
  });

  it('works without a manifest by reading the graph outputs', async () => {
    const dir = copyModel('heads-in-graph');
    rmSync(path.join(dir, 'm3search.json'));
    const enc = await loadModel(dir);
    expect(enc.info.layout).toBe('heads-in-graph');
    const texts = ['hello world', 'a somewhat longer passage so the batch is padded'];
    const [v, w] = await enc.encode(texts);
    expect(v!.sparse.ids.length).toBeGreaterThan(0);
    // The [CLS] row question is answered from the output's length: same vectors as with the manifest.
    const declared = await (await loadModel(layouts['heads-in-graph'])).encode(texts);
    expect(w!.multi.count).toBe(declared[1]!.multi.count);
    expect(Array.from(v!.multi.data)).toEqual(Array.from(declared[0]!.multi.data));
    expect(Array.from(w!.multi.data)).toEqual(Array.from(declared[1]!.multi.data));
  });

  it('rejects a manifest whose colbertIncludesCls contradicts the ColBERT output', async () => {
    const dir = copyModel('heads-in-graph');
    writeFileSync(path.join(dir, 'm3search.json'), JSON.stringify({ modelId: 'x', layout: 'heads-in-graph', colbertIncludesCls: true }));
    await expect(loadModel(dir)).rejects.toMatchObject({ code: 'MODEL_MISMATCH', message: expect.stringContaining('colbertIncludesCls: true') });
  });

  it('reads the [CLS] row question off the ColBERT output length', () => {
    expect(colbertSkip(9, 10)).toBe(0); // FlagEmbedding style: rows start after [CLS]
    expect(colbertSkip(10, 10)).toBe(1); // the row of [CLS] is kept: skip it
    expect(colbertSkip(10, 10, true)).toBe(1);
    expect(() => colbertSkip(7, 10)).toThrow(/7 rows for 10 input tokens/);
    expect(() => colbertSkip(9, 10, true)).toThrow(/colbertIncludesCls/);
  });

  it('falls back to dense-only when a hidden-state export ships no head files', async () => {
    const dir = copyModel('hidden-state');
    rmSync(path.join(dir, 'm3search.json'));
    rmSync(path.join(dir, 'sparse_linear.safetensors'));
    rmSync(path.join(dir, 'colbert_linear.safetensors'));
    const enc = await loadModel(dir);
    expect(enc.info.sparseStyle).toBe('none');
    expect(enc.info.hasMulti).toBe(false);
  });
});
