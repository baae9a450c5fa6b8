// The real-size model's int8 export (`npm run model:shape`) uses the pattern
// real int8 exports ship (onnxruntime's quantize_dynamic, Xenova's
// model_quantized.onnx): activations quantized per call, MatMulInteger on
// int8 weights, the embedding table gathered as int8. Checked here on the tiny
// shape: the graph holds that pattern and no fp32 copy of any weight matrix,
// ONNX Runtime runs it, and its hidden states follow the fp32 graph's within
// int8 error.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildModel, makeWeights, TINY } from '../../scripts/test-model/graph.js';

const VOCAB = 400;
const weights = makeWeights(VOCAB);

/** Operator types of a serialized ONNX graph, read back by ONNX Runtime's own parser is not exposed: count them in the bytes. */
function opCount(model: Uint8Array, op: string): number {
  const text = Buffer.from(model).toString('latin1');
  // NodeProto.op_type is field 4 (tag 0x22) followed by the length and the name.
  let n = 0;
  for (let i = text.indexOf(`\x22${String.fromCharCode(op.length)}${op}`); i >= 0; i = text.indexOf(`\x22${String.fromCharCode(op.length)}${op}`, i + 1)) n++;
  return n;
}

async function hidden(model: Uint8Array, ids: bigint[][]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model);
  const T = ids[0]!.length;
  const feeds = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.flat()), [ids.length, T]),
    attention_mask: new ort.Tensor('int64', BigInt64Array.from(ids.flat(), () => 1n), [ids.length, T]),
  };
  const out = await session.run(feeds);
  await session.release();
  return out.last_hidden_state!.data as Float32Array;
}

describe('dynamic int8 export', () => {
  const dynamic = buildModel(weights, 'hidden-state', 'int8', undefined, 'dynamic');
  const weightOnly = buildModel(weights, 'hidden-state', 'int8');

  it('every linear layer is DynamicQuantizeLinear → MatMulInteger; only gathered embedding rows are dequantized', () => {
    const linears = TINY.layers * 6; // q, k, v, attention output, FFN in, FFN out
    expect(opCount(dynamic, 'DynamicQuantizeLinear')).toBe(linears);
    expect(opCount(dynamic, 'MatMulInteger')).toBe(linears);
    // One DequantizeLinear: after the word-embedding Gather (the weight-only file dequantizes every matrix).
    expect(opCount(dynamic, 'DequantizeLinear')).toBe(1);
    expect(opCount(weightOnly, 'DequantizeLinear')).toBe(linears + 1);
    expect(opCount(weightOnly, 'MatMulInteger')).toBe(0);
  });

  it('runs in ONNX Runtime and follows the fp32 graph within int8 error', async () => {
    const ids = [[0n, 17n, 250n, 33n, 399n, 2n], [0n, 5n, 6n, 7n, 8n, 2n]];
    const [f, d] = await Promise.all([hidden(buildModel(weights, 'hidden-state', 'fp32'), ids), hidden(dynamic, ids)]);
    expect(d.length).toBe(f.length);
    let err = 0;
    let ref = 0;
    for (let i = 0; i < f.length; i++) {
      err += (d[i]! - f[i]!) ** 2;
      ref += f[i]! ** 2;
    }
    expect(d.every(Number.isFinite)).toBe(true);
    // Relative L2 error: per-call 8-bit activations and per-tensor int8 weights through 2 layers.
    const rel = Math.sqrt(err / ref);
    expect(rel).toBeLessThan(0.04);
    expect(rel).toBeGreaterThan(0); // it is quantized, not the fp32 graph
  });

  it('has no SPLADE layout (its decoder would need the fp32 table)', () => {
    expect(() => buildModel(weights, 'splade', 'int8', undefined, 'dynamic')).toThrow(/no SPLADE layout/);
  });
});
