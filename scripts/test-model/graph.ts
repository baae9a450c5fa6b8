// The tiny XLM-R-shaped encoder: deterministic weights from a seeded PRNG and
// the ONNX graph for each output layout, in fp32 or weight-only int8.
import { seededRandom } from '../../src/eval/random.js';
import type { OutputLayout } from '../../src/model/manifest.js';
import {
  attr,
  DataType,
  externalTensorProto,
  float16LE,
  float32LE,
  graphProto,
  int64LE,
  modelProto,
  nodeProto,
  tensorProto,
  valueInfoProto,
  type Attribute,
  type DataTypeCode,
} from './protobuf.js';

/** An encoder's dimensions: `TINY` for the test model, `BGE_M3_SHAPE` (./shape.ts) for the real-size one. */
export interface ModelShape {
  /** Short name, part of the ONNX graph's name. */
  name: string;
  hidden: number;
  heads: number;
  layers: number;
  ffn: number;
  colbertDim: number;
  /**
   * A dense head H → denseDim after the [CLS] state (heads-in-graph only; absent: the
   * dense vector is the state itself, as in BGE-M3). The wide test variant uses it for
   * 1024-dim dense rows over the tiny encoder (./wide.ts).
   */
  denseDim?: number;
  maxPositions: number;
  maxLength: number;
  positionOffset: number;
  layerNormEps: number;
  seed: number;
  headGrid: number;
}

/** How weights are stored: fp32; fp16 + Cast (fp32 compute); weight-only int8 + DequantizeLinear. */
export type Precision = 'fp32' | 'fp16' | 'int8';

export const TINY = {
  name: 'tiny',
  hidden: 32,
  heads: 4,
  layers: 2,
  ffn: 64,
  colbertDim: 32,
  /** XLM-R: positions start at padding_idx + 1 = 2, so 8192 tokens need 8194 rows. */
  maxPositions: 8194,
  maxLength: 8192,
  positionOffset: 2,
  layerNormEps: 1e-5,
  seed: 0x6d335f31,
  /** Head weights sit on this power-of-two grid so int8 storage is lossless. */
  headGrid: 1 / 128,
} as const satisfies ModelShape;

// ---------------------------------------------------------------------------
// Weights

/**
 * Scales tuned by measurement on the sample corpus (title/text pairs, 98 texts):
 * unrelated texts' dense vectors average cos ≈ 0.7; a token's final state against
 * the same token in another text ≈ 0.75, against other tokens ≈ 0.2; SPLADE logits
 * are positive for about 1% of the vocabulary per token, the token’s own id for ~90%.
 */
const GAIN = {
  /** Attention value/output projections: more context (dense varies) vs identity (sparse, ColBERT). */
  value: 1.2,
  /** Damped FFN output keeps the residual stream close to the attention result. */
  ffnOut: 0.7,
  /** Mean of the LM decoder bias. */
  lmBias: -13,
  /**
   * Doc-only variant (`docOnlyWeights`): the own-embedding skip into the LM head
   * and the bias mean that leave, on the sample corpus, every passage's own
   * tokens positive and ~200 ids per passage in all (a median passage of 145 tokens).
   */
  docSelf: 1.5,
  docLmBias: -44,
} as const;

/** The project's seeded PRNG (mulberry32), under the name the generator, bench and tests use. */
export const mulberry32 = seededRandom;

class Rng {
  private readonly next: () => number;
  /** `fast`: uniform draws of the same mean and std instead of normals (no log/cos per value; for 560M weights). */
  constructor(seed: number, private readonly fast = false) {
    this.next = mulberry32(seed);
  }
  /** Standard normal via Box-Muller (one value per call keeps the stream simple). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]: log stays finite
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  normals(n: number, std: number, mean = 0): Float32Array {
    const out = new Float32Array(n);
    if (this.fast) {
      // Uniform on [-√3·std, √3·std) has standard deviation std.
      const width = 2 * Math.sqrt(3) * std;
      const lo = mean - width / 2;
      for (let i = 0; i < n; i++) out[i] = lo + width * this.next();
      return out;
    }
    for (let i = 0; i < n; i++) out[i] = mean + std * this.normal();
    return out;
  }
}

/** A linear map in ONNX MatMul layout: `y = x·w + b`, `w` row-major `[inDim, outDim]`. */
export interface MatMulLinear {
  w: Float32Array;
  b: Float32Array;
  inDim: number;
  outDim: number;
}

/** torch.nn.Linear layout: `y = x·weightᵀ + bias`, `weight` row-major `[outDim, inDim]`. */
export interface TorchLinear {
  weight: Float32Array;
  bias: Float32Array;
  outDim: number;
  inDim: number;
}

export interface LayerNormWeights {
  gamma: Float32Array;
  beta: Float32Array;
}

export interface EncoderLayerWeights {
  q: MatMulLinear;
  k: MatMulLinear;
  v: MatMulLinear;
  o: MatMulLinear;
  attnLn: LayerNormWeights;
  ffnIn: MatMulLinear;
  ffnOut: MatMulLinear;
  ffnLn: LayerNormWeights;
}

export interface TinyWeights {
  shape: ModelShape;
  vocabSize: number;
  /** `[V, H]` */
  wordEmbeddings: Float32Array;
  /** `[maxPositions, H]` */
  positionEmbeddings: Float32Array;
  embLn: LayerNormWeights;
  layers: EncoderLayerWeights[];
  /** BGE-M3 `sparse_linear`: H → 1. */
  sparse: TorchLinear;
  /** BGE-M3 `colbert_linear`: H → D. */
  colbert: TorchLinear;
  /** RoBERTa LM head: dense H→H, GELU, LayerNorm, decoder tied to the word embeddings. */
  mlm: {
    dense: MatMulLinear;
    ln: LayerNormWeights;
    decoderBias: Float32Array;
    /**
     * Doc-only variant: the token's own word embedding, times this, added to the
     * LM head's output before the tied decoder. Its own logit then stands well
     * clear of the rest, so with a strongly negative bias a passage's vector is
     * its own tokens plus a bounded expansion, as a trained doc-only model's is.
     */
    selfGain?: number;
    /** Doc-only variant: `logits` max-pooled over positions in the graph ([B,V]); `token_logits` keeps [B,T,V]. */
    pooled?: boolean;
  };
  /** With `shape.denseDim`: the dense head H → denseDim. */
  denseHead?: MatMulLinear;
}

function linear(rng: Rng, inDim: number, outDim: number, gain: number): MatMulLinear {
  return { w: rng.normals(inDim * outDim, gain / Math.sqrt(inDim)), b: rng.normals(outDim, 0.02), inDim, outDim };
}

function layerNorm(rng: Rng, dim: number): LayerNormWeights {
  return { gamma: rng.normals(dim, 0.05, 1), beta: rng.normals(dim, 0.05) };
}

/** Values already on the int8 grid `k·step`, |k| ≤ 127, so quantizing them loses nothing. */
function gridNormals(rng: Rng, n: number, std: number, step: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.max(-127, Math.min(127, Math.round((std * rng.normal()) / step))) * step;
  return out;
}

/** FNV-1a: turns a tensor name into a seed for its own stream. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Every weight of the tiny model. Each tensor draws from its own stream seeded by
 * its name, so the encoder does not change when the vocabulary size does (the
 * corpus grows it), and all three layouts share the same encoder and heads.
 */
export function makeWeights(vocabSize: number, seed: number = TINY.seed, shape: ModelShape = TINY, fast = false): TinyWeights {
  const rng = (name: string) => new Rng((seed ^ hashName(name)) >>> 0, fast);
  const H = shape.hidden;
  const wordEmbeddings = rng('word_embeddings').normals(vocabSize * H, 1);
  // Smaller than the word embeddings so token identity dominates but position still matters.
  const positionEmbeddings = rng('position_embeddings').normals(shape.maxPositions * H, 0.3);
  const embLn = layerNorm(rng('embeddings.LayerNorm'), H);
  const layers: EncoderLayerWeights[] = [];
  for (let l = 0; l < shape.layers; l++) {
    const p = `layer.${l}`;
    layers.push({
      // Attention logits of roughly unit variance: broad enough to mix context.
      q: linear(rng(`${p}.q`), H, H, 1),
      k: linear(rng(`${p}.k`), H, H, 1),
      // The value/output gain trades context (what makes [CLS], the dense vector, differ
      // between texts) against token identity (what sparse and ColBERT match on).
      v: linear(rng(`${p}.v`), H, H, GAIN.value),
      o: linear(rng(`${p}.o`), H, H, GAIN.value),
      attnLn: layerNorm(rng(`${p}.attnLn`), H),
      ffnIn: linear(rng(`${p}.ffnIn`), H, shape.ffn, 1),
      ffnOut: linear(rng(`${p}.ffnOut`), shape.ffn, H, GAIN.ffnOut),
      ffnLn: layerNorm(rng(`${p}.ffnLn`), H),
    });
  }
  const step = shape.headGrid;
  const sparse: TorchLinear = {
    weight: gridNormals(rng('sparse_linear'), H, 1 / Math.sqrt(H), step),
    // Positive bias: most tokens get a non-zero lexical weight, as with the real model.
    bias: Float32Array.of(1.25),
    outDim: 1,
    inDim: H,
  };
  const D = shape.colbertDim;
  const colbertRng = rng('colbert_linear');
  const colbert: TorchLinear = {
    weight: gridNormals(colbertRng, D * H, 1 / Math.sqrt(H), step),
    bias: colbertRng.normals(D, 0.1),
    outDim: D,
    inDim: H,
  };
  // LM-head dense ≈ 3·I + 3 keeps GELU in its linear range, so the transformed state stays
  // aligned with the token's own embedding and the tied decoder ranks its own id high.
  const lmDense = linear(rng('lm_head.dense'), H, H, 0.1);
  for (let i = 0; i < H; i++) {
    lmDense.w[i * H + i]! += 3;
    lmDense.b[i]! += 3;
  }
  const mlm = {
    dense: lmDense,
    ln: layerNorm(rng('lm_head.layer_norm'), H),
    // Strongly negative bias: about 1% of the vocabulary is positive per token.
    decoderBias: rng('lm_head.bias').normals(vocabSize, 1, GAIN.lmBias),
  };
  const w: TinyWeights = { shape, vocabSize, wordEmbeddings, positionEmbeddings, embLn, layers, sparse, colbert, mlm };
  if (shape.denseDim !== undefined && shape.denseDim !== H) {
    const dd = shape.denseDim;
    w.denseHead = { w: gridNormals(rng('dense_head'), H * dd, 1 / Math.sqrt(H), step), b: new Float32Array(dd), inDim: H, outDim: dd };
  }
  return w;
}

/**
 * Weights of the doc-only test model: `makeWeights`, with every word-embedding
 * row scaled to norm √H (the tied decoder then has no hub rows whose logits
 * are high for any input), the token's own embedding added to the LM head
 * output, and a bias far below zero: a passage's vector is its own tokens and
 * a bounded expansion, as a trained doc-only SPLADE model's is, instead of the
 * thousands of ids the random MLM head of `makeWeights` gives.
 */
export function docOnlyWeights(vocabSize: number, shape: ModelShape = TINY): TinyWeights {
  const w = makeWeights(vocabSize, shape.seed, shape);
  const H = shape.hidden;
  for (let v = 0; v < vocabSize; v++) {
    const row = w.wordEmbeddings.subarray(v * H, (v + 1) * H);
    let ss = 0;
    for (const x of row) ss += x * x;
    const f = Math.sqrt(H / ss);
    for (let i = 0; i < H; i++) row[i]! *= f;
  }
  const shift = GAIN.docLmBias - GAIN.lmBias;
  for (let v = 0; v < vocabSize; v++) w.mlm.decoderBias[v]! += shift;
  w.mlm.selfGain = GAIN.docSelf;
  w.mlm.pooled = true;
  return w;
}

/** `[out, in]` → `[in, out]`. */
function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c]!;
  return out;
}

// ---------------------------------------------------------------------------
// Graph

const INT64_MAX = 9223372036854775807n;

/** Where large initializers go instead of `raw_data` (ONNX external data); see ./shape.ts. */
export interface ExternalSink {
  /** The side file's name, relative to the .onnx file. */
  location: string;
  /** Raw tensors at least this many bytes are written out. */
  threshold: number;
  /** Appends the bytes to the side file; returns their offset. */
  write(bytes: Uint8Array): number;
}

/**
 * How int8 weights run. `weight-only`: int8 storage, DequantizeLinear back to
 * fp32 before each MatMul / Gather (lossless on the heads' grid, so the tiny
 * model's references stay exact). `dynamic`: what `onnxruntime.quantization.
 * quantize_dynamic` writes and real int8 exports (Xenova's model_quantized.onnx)
 * ship — activations quantized per call (DynamicQuantizeLinear), MatMulInteger
 * on int8 weights, the embedding table gathered as int8 and only the gathered
 * rows dequantized — so the speed and memory of the real-size model are those
 * of a real int8 export.
 */
export type Int8Scheme = 'weight-only' | 'dynamic';

/** Collects nodes and initializers; `weight()` / `linear()` insert the int8 scheme's nodes in int8 mode. */
class GraphBuilder {
  readonly nodes: Uint8Array[] = [];
  readonly initializers: Uint8Array[] = [];
  private readonly used = new Set<string>();
  private readonly constants = new Map<string, string>();
  private nodeCount = 0;

  constructor(
    private readonly precision: Precision,
    private readonly shape: ModelShape,
    private readonly sink?: ExternalSink,
    private readonly int8Scheme: Int8Scheme = 'weight-only',
  ) {}

  /** int8 storage with activations quantized per call (see Int8Scheme). */
  private get dynamic(): boolean {
    return this.precision === 'int8' && this.int8Scheme === 'dynamic';
  }

  /** One initializer: inline `raw_data`, or in the side file when there is a sink and it is large. */
  private tensor(name: string, dataType: DataTypeCode, dims: readonly number[], raw: Uint8Array): void {
    if (this.sink && raw.length >= this.sink.threshold) {
      const offset = this.sink.write(raw);
      this.initializers.push(externalTensorProto(name, dataType, dims, { location: this.sink.location, offset, length: raw.length }));
    } else {
      this.initializers.push(tensorProto(name, dataType, dims, raw));
    }
  }

  private claim(name: string): string {
    if (this.used.has(name)) throw new Error(`duplicate value name ${name}`);
    this.used.add(name);
    return name;
  }

  private fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    return this.claim(name);
  }

  op(opType: string, inputs: readonly string[], out: string, attributes: readonly Attribute[] = []): string {
    return this.ops(opType, inputs, [out], attributes)[0]!;
  }

  /** A node with several outputs (DynamicQuantizeLinear). */
  ops(opType: string, inputs: readonly string[], outs: readonly string[], attributes: readonly Attribute[] = []): string[] {
    const outputs = outs.map((o) => this.fresh(o));
    this.nodes.push(nodeProto({ opType, inputs, outputs, name: `${opType}_${this.nodeCount++}`, attributes }));
    return outputs;
  }

  floatInit(name: string, dims: readonly number[], data: ArrayLike<number>): string {
    this.tensor(this.claim(name), DataType.FLOAT, dims, float32LE(data));
    return name;
  }

  /** Shared small constants (one initializer per distinct value). */
  constF(values: readonly number[], dims: readonly number[] = []): string {
    const key = `f:${dims.join(',')}:${values.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.fresh(`const_f${this.constants.size}`);
      this.initializers.push(tensorProto(name, DataType.FLOAT, dims, float32LE(values)));
      this.constants.set(key, name);
    }
    return name;
  }

  constI64(values: ReadonlyArray<number | bigint>, dims: readonly number[] = []): string {
    const key = `i:${dims.join(',')}:${values.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.fresh(`const_i${this.constants.size}`);
      this.initializers.push(tensorProto(name, DataType.INT64, dims, int64LE(values)));
      this.constants.set(key, name);
    }
    return name;
  }

  /**
   * A MatMul / embedding weight. fp32: a plain initializer. int8: per-tensor
   * symmetric int8 + scale + zero point feeding a DequantizeLinear whose output
   * carries the weight's name, so consumers are identical in both files.
   * fp16: a float16 initializer feeding a Cast to float (storage halves, compute stays fp32).
   */
  weight(name: string, dims: readonly number[], data: Float32Array, step?: number): string {
    if (this.precision === 'fp32') return this.floatInit(name, dims, data);
    if (this.precision === 'fp16') {
      const hName = this.claim(`${name}_fp16`);
      this.tensor(hName, DataType.FLOAT16, dims, float16LE(data));
      return this.op('Cast', [hName], name, [attr.int('to', DataType.FLOAT)]);
    }
    const { q, s, z } = this.int8Weight(name, dims, data, step);
    return this.op('DequantizeLinear', [q, s, z], name);
  }

  /** Per-tensor symmetric int8 initializers of a weight: values, scale, zero point (0). */
  private int8Weight(name: string, dims: readonly number[], data: Float32Array, step?: number): { q: string; s: string; z: string } {
    let maxAbs = 0;
    for (let i = 0; i < data.length; i++) maxAbs = Math.max(maxAbs, Math.abs(data[i]!));
    const scale = Math.fround(step ?? (maxAbs > 0 ? maxAbs / 127 : 1));
    const bytes = new Uint8Array(data.length);
    const qi = new Int8Array(bytes.buffer);
    for (let i = 0; i < data.length; i++) qi[i] = Math.max(-127, Math.min(127, Math.round(data[i]! / scale)));
    const q = this.claim(`${name}_quantized`);
    const s = this.claim(`${name}_scale`);
    const z = this.claim(`${name}_zero_point`);
    this.tensor(q, DataType.INT8, dims, bytes);
    this.initializers.push(tensorProto(s, DataType.FLOAT, [], float32LE([scale])));
    this.initializers.push(tensorProto(z, DataType.INT8, [], new Uint8Array(1)));
    return { q, s, z };
  }

  /** Rows of an embedding table: dynamic int8 gathers int8 rows and dequantizes only those. */
  embedding(name: string, dims: readonly number[], data: Float32Array, ids: string, out: string): string {
    if (!this.dynamic) return this.op('Gather', [this.weight(name, dims, data), ids], out, [attr.int('axis', 0)]);
    const { q, s, z } = this.int8Weight(name, dims, data);
    return this.op('DequantizeLinear', [this.op('Gather', [q, ids], `${out}_int8`, [attr.int('axis', 0)]), s, z], out);
  }

  /** x · W in quantize_dynamic's pattern: uint8 activations (scale and zero point per call) × int8 weights → int32 → fp32. */
  private dynamicMatMul(x: string, name: string, dims: readonly number[], data: Float32Array, step?: number): string {
    const { q, s, z } = this.int8Weight(name, dims, data, step);
    const [xq, xs, xz] = this.ops('DynamicQuantizeLinear', [x], [`${name}_x_q`, `${name}_x_scale`, `${name}_x_zero_point`]);
    const mm = this.op('MatMulInteger', [xq!, q, xz!, z], `${name}_mm_int32`);
    const f = this.op('Cast', [mm], `${name}_mm_f`, [attr.int('to', DataType.FLOAT)]);
    return this.op('Mul', [f, this.op('Mul', [xs!, s], `${name}_scales`)], `${name}_mm`);
  }

  // -- composite helpers ----------------------------------------------------

  linear(x: string, lin: MatMulLinear, name: string, step?: number): string {
    const dims = [lin.inDim, lin.outDim];
    const mm = this.dynamic
      ? this.dynamicMatMul(x, `${name}.weight`, dims, lin.w, step)
      : this.op('MatMul', [x, this.weight(`${name}.weight`, dims, lin.w, step)], `${name}_mm`);
    return this.op('Add', [mm, this.floatInit(`${name}.bias`, [lin.outDim], lin.b)], `${name}_out`);
  }

  layerNorm(x: string, ln: LayerNormWeights, name: string): string {
    const g = this.floatInit(`${name}.gamma`, [ln.gamma.length], ln.gamma);
    const b = this.floatInit(`${name}.beta`, [ln.beta.length], ln.beta);
    return this.op('LayerNormalization', [x, g, b], `${name}_out`, [attr.int('axis', -1), attr.float('epsilon', this.shape.layerNormEps)]);
  }

  /** Exact GELU: 0.5·x·(1 + erf(x/√2)). */
  gelu(x: string, name: string): string {
    const e = this.op('Erf', [this.op('Mul', [x, this.constF([Math.SQRT1_2])], `${name}_scaled`)], `${name}_erf`);
    const onePlus = this.op('Add', [e, this.constF([1])], `${name}_1p`);
    return this.op('Mul', [this.op('Mul', [x, onePlus], `${name}_xp`), this.constF([0.5])], `${name}_out`);
  }

  /** x / max(‖x‖₂, 1e-12) over the last axis (zero rows stay zero, never NaN). */
  l2normalize(x: string, name: string): string {
    const ss = this.op('ReduceSumSquare', [x], `${name}_ss`, [attr.ints('axes', [-1]), attr.int('keepdims', 1)]);
    const norm = this.op('Max', [this.op('Sqrt', [ss], `${name}_norm`), this.constF([1e-12])], `${name}_guard`);
    return this.op('Div', [x, norm], `${name}_out`);
  }
}

/**
 * Builds the ONNX model bytes for one layout, at `w.shape`. With `sink`, large
 * initializers go to an external-data side file instead (needed past 2 GB).
 */
export function buildModel(w: TinyWeights, layout: OutputLayout, precision: Precision, sink?: ExternalSink, int8Scheme: Int8Scheme = 'weight-only'): Uint8Array {
  const S = w.shape;
  const H = S.hidden;
  const heads = S.heads;
  const headDim = H / heads;
  // SPLADE's decoder reuses the fp32 word-embedding table, which the dynamic scheme never materializes.
  if (layout === 'splade' && precision === 'int8' && int8Scheme === 'dynamic') throw new Error('the dynamic int8 scheme has no SPLADE layout');
  const g = new GraphBuilder(precision, S, sink, int8Scheme);
  const ids = 'input_ids';
  const mask = 'attention_mask';

  // Embeddings: word + position (arange(T) + 2, XLM-R style), then LayerNorm.
  const word = g.embedding('embeddings.word_embeddings', [w.vocabSize, H], w.wordEmbeddings, ids, 'word_emb');
  const seqLen = g.op('Gather', [g.op('Shape', [ids], 'ids_shape'), g.constI64([1])], 'seq_len', [attr.int('axis', 0)]);
  const posEnd = g.op('Add', [seqLen, g.constI64([S.positionOffset])], 'pos_end');
  const positions = g.op('Range', [g.constI64([S.positionOffset]), posEnd, g.constI64([1])], 'position_ids');
  const posTable = g.floatInit('embeddings.position_embeddings', [S.maxPositions, H], w.positionEmbeddings);
  const pos = g.op('Gather', [posTable, positions], 'pos_emb', [attr.int('axis', 0)]);
  let x = g.layerNorm(g.op('Add', [word, pos], 'emb_sum'), w.embLn, 'embeddings.LayerNorm');

  // Additive mask (1 - mask)·-1e4, shaped [B,1,1,T] to broadcast over heads and queries.
  const maskF = g.op('Cast', [mask], 'mask_f', [attr.int('to', DataType.FLOAT)]);
  const maskAdd = g.op('Mul', [g.op('Sub', [g.constF([1]), maskF], 'mask_inv'), g.constF([-1e4])], 'mask_add');
  const maskBias = g.op('Unsqueeze', [maskAdd, g.constI64([1, 2], [2])], 'mask_bias');

  const splitShape = g.constI64([0, 0, heads, headDim], [4]);
  const mergeShape = g.constI64([0, 0, H], [3]);
  for (let l = 0; l < w.layers.length; l++) {
    const L = w.layers[l]!;
    const p = `encoder.layer.${l}`;
    const split = (t: string, perm: number[], n: string) =>
      g.op('Transpose', [g.op('Reshape', [t, splitShape], `${n}_split`)], `${n}_heads`, [attr.ints('perm', perm)]);
    const q = split(g.linear(x, L.q, `${p}.attention.self.query`), [0, 2, 1, 3], `${p}_q`); // [B,h,T,d]
    const k = split(g.linear(x, L.k, `${p}.attention.self.key`), [0, 2, 3, 1], `${p}_k`); // [B,h,d,T]
    const v = split(g.linear(x, L.v, `${p}.attention.self.value`), [0, 2, 1, 3], `${p}_v`); // [B,h,T,d]
    const scores = g.op('Mul', [g.op('MatMul', [q, k], `${p}_qk`), g.constF([1 / Math.sqrt(headDim)])], `${p}_scores`);
    const probs = g.op('Softmax', [g.op('Add', [scores, maskBias], `${p}_masked`)], `${p}_probs`, [attr.int('axis', -1)]);
    const ctx = g.op('Transpose', [g.op('MatMul', [probs, v], `${p}_ctx`)], `${p}_ctx_t`, [attr.ints('perm', [0, 2, 1, 3])]);
    const merged = g.op('Reshape', [ctx, mergeShape], `${p}_merged`);
    const attnOut = g.linear(merged, L.o, `${p}.attention.output.dense`);
    x = g.layerNorm(g.op('Add', [attnOut, x], `${p}_attn_res`), L.attnLn, `${p}.attention.output.LayerNorm`);
    const inter = g.gelu(g.linear(x, L.ffnIn, `${p}.intermediate.dense`), `${p}_gelu`);
    const ffnOut = g.linear(inter, L.ffnOut, `${p}.output.dense`);
    x = g.layerNorm(g.op('Add', [ffnOut, x], `${p}_ffn_res`), L.ffnLn, `${p}.output.LayerNorm`);
  }

  const hidden = g.op('Identity', [x], 'last_hidden_state');
  const outputs: Uint8Array[] = [valueInfoProto(hidden, DataType.FLOAT, ['batch', 'sequence', H])];

  if (layout === 'heads-in-graph') {
    // dense: normalized [CLS] state.
    const cls = g.op('Gather', [hidden, g.constI64([0])], 'cls_state', [attr.int('axis', 1)]);
    const pooled = w.denseHead ? g.linear(cls, w.denseHead, 'dense_head', S.headGrid) : cls;
    const dense = g.op('Identity', [g.l2normalize(pooled, 'dense_norm')], 'dense_embeddings');
    // sparse: relu(h·w + b) per token, [B,T,1].
    const sparseLin = { w: w.sparse.weight, b: w.sparse.bias, inDim: H, outDim: 1 };
    const sparse = g.op('Relu', [g.linear(hidden, sparseLin, 'sparse_linear', S.headGrid)], 'sparse_weights');
    // colbert: normalize((h[:,1:]·Wᵀ + b) · mask[:,1:]) as FlagEmbedding does.
    const slice = (t: string, n: string) => g.op('Slice', [t, g.constI64([1], [1]), g.constI64([INT64_MAX], [1]), g.constI64([1], [1])], n);
    const tokens = slice(hidden, 'colbert_tokens');
    const colLin = { w: transpose(w.colbert.weight, w.colbert.outDim, H), b: w.colbert.bias, inDim: H, outDim: w.colbert.outDim };
    const proj = g.linear(tokens, colLin, 'colbert_linear', S.headGrid);
    const tokMask = g.op('Unsqueeze', [g.op('Cast', [slice(mask, 'colbert_mask_i')], 'colbert_mask', [attr.int('to', DataType.FLOAT)]), g.constI64([2], [1])], 'colbert_mask_3d');
    const masked = g.op('Mul', [proj, tokMask], 'colbert_masked');
    const colbert = g.op('Identity', [g.l2normalize(masked, 'colbert_norm')], 'colbert_vectors');
    outputs.push(
      valueInfoProto(dense, DataType.FLOAT, ['batch', w.denseHead?.outDim ?? H]),
      valueInfoProto(sparse, DataType.FLOAT, ['batch', 'sequence', 1]),
      valueInfoProto(colbert, DataType.FLOAT, ['batch', 'colbert_sequence', w.colbert.outDim]),
    );
  } else if (layout === 'splade') {
    // RoBERTa LM head; the decoder reuses the word-embedding table (tied weights).
    let t = g.layerNorm(g.gelu(g.linear(hidden, w.mlm.dense, 'lm_head.dense'), 'lm_gelu'), w.mlm.ln, 'lm_head.layer_norm');
    if (w.mlm.selfGain) t = g.op('Add', [t, g.op('Mul', [word, g.constF([w.mlm.selfGain])], 'lm_self')], 'lm_head_self');
    const decoder = g.op('Transpose', ['embeddings.word_embeddings'], 'lm_decoder_weight', [attr.ints('perm', [1, 0])]);
    const bias = g.floatInit('lm_head.bias', [w.vocabSize], w.mlm.decoderBias);
    if (w.mlm.pooled) {
      // SPLADE's max over the non-padding positions inside the graph: `logits` is [B,V], a
      // passage's output is one row instead of T (the encoder then transforms it as a pooled row);
      // the per-position logits stay an output under a name the loader does not pick.
      const tokenLogits = g.op('Add', [g.op('MatMul', [t, decoder], 'lm_mm'), bias], 'token_logits');
      const padded = g.op('Add', [tokenLogits, g.op('Unsqueeze', [maskAdd, g.constI64([2], [1])], 'mask_add_3d')], 'token_logits_masked');
      const logits = g.op('ReduceMax', [padded], 'logits', [attr.ints('axes', [1]), attr.int('keepdims', 0)]);
      outputs.push(valueInfoProto(logits, DataType.FLOAT, ['batch', w.vocabSize]), valueInfoProto(tokenLogits, DataType.FLOAT, ['batch', 'sequence', w.vocabSize]));
    } else {
      const logits = g.op('Add', [g.op('MatMul', [t, decoder], 'lm_mm'), bias], 'logits');
      outputs.push(valueInfoProto(logits, DataType.FLOAT, ['batch', 'sequence', w.vocabSize]));
    }
  }

  const graph = graphProto({
    name: `m3search_${S.name}_${layout.replace(/-/g, '_')}`,
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [valueInfoProto(ids, DataType.INT64, ['batch', 'sequence']), valueInfoProto(mask, DataType.INT64, ['batch', 'sequence'])],
    outputs,
  });
  return modelProto({ graph, irVersion: 8, producerName: 'm3search-test-model', opsets: [{ domain: '', version: 17 }] });
}
