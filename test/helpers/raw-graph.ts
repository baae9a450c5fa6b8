// Runs a generated model's ONNX graph directly on one list of token ids (no
// encoder code in between): the independent side of the reference tests.
import path from 'node:path';
import * as ort from 'onnxruntime-node';

/** The graph's outputs for `ids` (special tokens included), attention on every position. */
export async function runRawGraph(dir: string, onnx: string, ids: readonly number[]): Promise<ort.InferenceSession.OnnxValueMapType> {
  const session = await ort.InferenceSession.create(path.join(dir, onnx));
  const T = ids.length;
  return session.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, T]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(T).fill(1n), [1, T]),
  });
}
