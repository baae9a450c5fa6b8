// A deterministic stand-in for M3Encoder in store tests: vectors derive from
// the text's words (so a query built from a passage's words finds it), and it
// counts every text it encodes, which is how tests prove "no re-encoding".
import type { Encoded } from '../../src/core/types.js';
import type { ModelInfo } from '../../src/model/encoder.js';
import type { Encoder } from '../../src/core/encoder.js';

export const DIM = 8;
const VOCAB = 997;

export function fakeInfo(over: Partial<ModelInfo> = {}): ModelInfo {
  return {
    modelId: 'test/fake',
    layout: 'heads-in-graph',
    fingerprint: 'fake-0001',
    onnxFile: 'onnx/model.onnx',
    maxLength: 512,
    denseDim: DIM,
    multiDim: DIM,
    vocabSize: VOCAB,
    sparseStyle: 'lexical',
    hasMulti: true,
    ...over,
  };
}

function wordId(w: string): number {
  let h = 2166136261;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619);
  return (h >>> 0) % VOCAB;
}

function unitRow(seed: number): Float32Array {
  const v = Float32Array.from({ length: DIM }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) + 0.01);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

export function fakeEncode(text: string): Encoded {
  const words = text.toLowerCase().split(/\W+/).filter(Boolean);
  const ids = [...new Set(words.map(wordId))].sort((a, b) => a - b);
  const rows = words.slice(0, 16).map((w) => unitRow(wordId(w)));
  const multi = new Float32Array(Math.max(1, rows.length) * DIM);
  rows.forEach((r, i) => multi.set(r, i * DIM));
  if (rows.length === 0) multi.set(unitRow(1));
  const dense = new Float32Array(DIM);
  for (const r of rows) r.forEach((x, i) => (dense[i] = dense[i]! + x));
  const n = Math.hypot(...dense) || 1;
  return {
    dense: rows.length ? dense.map((x) => x / n) : unitRow(2),
    sparse: { ids: Uint32Array.from(ids), weights: Float32Array.from(ids, () => 0.5) },
    multi: { data: multi, count: Math.max(1, rows.length), dim: DIM },
    tokens: words.length + 2,
    truncated: false,
  };
}

export class FakeEncoder implements Encoder {
  readonly info: ModelInfo;
  passes = 0;
  /** Every passage text encoded, in order. */
  readonly encoded: string[] = [];
  /** Throws on the n-th passage batch (1-based) when set. */
  failOnBatch: number | undefined;
  private batches = 0;

  /** Whitespace words as ids (only window/chunk counting reads it). */
  readonly tokenizer = { ids: (t: string): number[] => t.split(/\s+/).filter(Boolean).map((w) => w.length), specialIds: new Set<number>() };

  constructor(info: Partial<ModelInfo> = {}) {
    this.info = fakeInfo(info);
  }

  async encode(texts: readonly string[], opts: { kind?: 'query' | 'passage' } = {}): Promise<Encoded[]> {
    this.passes++;
    if (opts.kind !== 'query') {
      this.batches++;
      if (this.batches === this.failOnBatch) throw new Error('encoder failed on purpose');
      this.encoded.push(...texts);
    }
    return texts.map(fakeEncode);
  }
}

let n = 0;
/** A database name no other test in this process uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${++n}-${Date.now()}`;
}

export function docs(count: number, from = 0): { id: string; text: string }[] {
  return Array.from({ length: count }, (_, i) => ({ id: `d${from + i}`, text: `passage ${from + i} about topic${(from + i) % 7} and word${from + i}` }));
}
