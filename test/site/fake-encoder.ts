// A deterministic stand-in for the encoder in builder tests: one token per
// word (lowercased), vectors derived from the words, and a log of every text
// encoded, so tests can tell encoded passages from reused ones.
import type { Encoded } from '../../src/core/types.js';
import type { Encoder } from '../../src/core/encoder.js';

const DIM = 8;

function wordId(w: string): number {
  let h = 2166136261;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619);
  return 10 + ((h >>> 0) % 50000);
}

function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu) ?? [];
}

function unit(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  return v.map((x) => x / n);
}

function vectorOf(id: number): Float32Array {
  return unit(Float32Array.from({ length: DIM }, (_, j) => Math.sin(id * (j + 1))));
}

export interface FakeEncoder extends Encoder {
  encoded: string[];
}

export function fakeEncoder(opts: { maxLength?: number; fingerprint?: string } = {}): FakeEncoder {
  const maxLength = opts.maxLength ?? 64;
  const ids = (text: string, o?: { special?: boolean }): number[] => {
    const body = words(text).map(wordId);
    return o?.special === false ? body : [0, ...body, 2];
  };
  const enc: FakeEncoder = {
    encoded: [],
    info: { modelId: 'test/fake', fingerprint: opts.fingerprint ?? 'fake-1', maxLength, denseDim: DIM, multiDim: DIM, sparseStyle: 'lexical', hasMulti: true },
    tokenizer: { ids, specialIds: new Set([0, 1, 2, 3]) },
    async encode(texts) {
      return texts.map((t): Encoded => {
        enc.encoded.push(t);
        const all = ids(t);
        const truncated = all.length > maxLength;
        const tok = ids(t, { special: false }).slice(0, maxLength - 2);
        const dense = new Float32Array(DIM);
        for (const id of tok) vectorOf(id).forEach((x, j) => (dense[j]! += x));
        const uniq = [...new Set(tok)].sort((a, b) => a - b);
        const multi = new Float32Array(tok.length * DIM);
        tok.forEach((id, i) => multi.set(vectorOf(id), i * DIM));
        return {
          dense: unit(dense),
          sparse: { ids: Uint32Array.from(uniq), weights: Float32Array.from(uniq, () => 0.5) },
          multi: { data: multi, count: tok.length, dim: DIM },
          tokens: Math.min(all.length, maxLength),
          truncated,
        };
      });
    },
  };
  return enc;
}
