// The two inner loops of search, each as the TypeScript loop against the
// WebAssembly SIMD kernel on the same data in the same run:
// - the dense scan (every row · the query), which every non-lexical query pays;
// - MaxSim (candidates × passage rows × query rows × dim), the rerank step of
//   multi and hybrid search;
// - a linear head (tokens × its weight rows): the ColBERT projection the
//   encoder applies to every token of every passage (1024 × 1024 for BGE-M3).
// Their ratios carry straight into the latency table.
import { DenseMatrix } from '../../src/core/dense-matrix.js';
import { createJsKernel, createWasmKernel, type MaxSimKernel } from '../../src/core/maxsim-kernel.js';
import { MultiIndex } from '../../src/core/multi-index.js';
import type { MultiStorage, MultiVector } from '../../src/core/types.js';
import { applyLinear } from '../../src/model/heads.js';
import { mulberry32 } from '../../scripts/test-model/graph.js';
import type { BenchContext, BenchRow, BenchSection } from '../section.js';
import { median, ratio, repeat } from '../stats.js';
import { FULL_SHAPES, QUICK_SHAPES } from '../synthetic.js';

const SIZES = { quick: { candidates: 20, rows: 500, tokens: 16, headDim: 64 }, full: { candidates: 200, rows: 10_000, tokens: 512, headDim: 1024 } };

export const kernelsSection: BenchSection = {
  name: 'kernels',
  title: 'Inner loops: TypeScript vs WebAssembly SIMD (ms per query)',
  notes(ctx) {
    const s = ctx.quick ? QUICK_SHAPES : FULL_SHAPES;
    const z = ctx.quick ? SIZES.quick : SIZES.full;
    return [
      `dense scan: one query against ${z.rows.toLocaleString('en-US')} rows of ${s.denseDim} dims (float32, int8 with per-row scale). MaxSim: ${z.candidates} candidates × ${s.multiCount} passage rows × ${s.queryMultiCount} query rows × ${s.multiDim} dims (random unit vectors; float16 and int8 rows are decoded by the kernel per passage). Linear head: ${z.tokens} tokens × a ${z.headDim} × ${z.headDim} float32 head (the encoder's ColBERT projection; "ms / query" is per passage). Median over up to ${ctx.reps} repetitions.`,
      '"vs ts" = SIMD ms / TypeScript ms (< 1 is faster); "max rel diff" = largest score difference between the two on the same data, relative to max(1, |score|) (int8 dense dots are unscaled, so large).',
    ];
  },
  async run(ctx) {
    return [...(await denseRows(ctx)), ...(await maxSimRows(ctx)), ...(await headRows(ctx))];
  },
};

interface Timed {
  ms: number;
  scores: Float32Array | Float64Array;
}

/** One row per implementation, the first being the TypeScript baseline. */
function rowsOf(loop: string, storage: string, timed: [string, Timed][]): BenchRow[] {
  const [base] = timed;
  return timed.map(([kernel, t], i) => ({
    loop,
    storage,
    kernel,
    'ms / query': t.ms,
    'vs ts': i === 0 ? null : ratio(t.ms, base![1].ms),
    'max rel diff': i === 0 ? null : maxRelDiff(t.scores, base![1].scores),
  }));
}

/** Largest |a - b| relative to max(1, |b|), in a loop (a head's outputs are too many to spread into Math.max). */
function maxRelDiff(a: Float32Array | Float64Array, b: Float32Array | Float64Array): number {
  let most = 0;
  for (let j = 0; j < a.length; j++) most = Math.max(most, Math.abs(a[j]! - b[j]!) / Math.max(1, Math.abs(b[j]!)));
  return most;
}

async function time(ctx: BenchContext, once: () => Float32Array | Float64Array): Promise<Timed> {
  let scores: Float32Array | Float64Array = new Float32Array(0);
  const ms = await repeat(ctx.reps, ctx.quick ? 2_000 : 20_000, async () => {
    const t0 = performance.now();
    scores = once();
    return performance.now() - t0;
  });
  return { ms: median(ms), scores };
}

async function denseRows(ctx: BenchContext): Promise<BenchRow[]> {
  const dim = (ctx.quick ? QUICK_SHAPES : FULL_SHAPES).denseDim;
  const n = (ctx.quick ? SIZES.quick : SIZES.full).rows;
  const r = mulberry32(ctx.seed + 37);
  const q = Float32Array.from({ length: dim }, () => r() - 0.5);
  const out: BenchRow[] = [];
  for (const kind of ['float32', 'int8'] as const) {
    ctx.log(`kernels: dense ${kind}`);
    const values = Array.from({ length: n * dim }, () => (kind === 'float32' ? r() - 0.5 : Math.round(r() * 254) - 127));
    const timed: [string, Timed][] = [];
    for (const simd of [false, true]) {
      const m = new DenseMatrix(kind, dim, { simd });
      m.reserve(n);
      m.rows.set(values);
      if (simd && m.engine !== 'wasm-simd') continue; // no WebAssembly SIMD here: only the baseline row
      const all = new Float32Array(n);
      timed.push([simd ? 'wasm simd' : 'typescript', await time(ctx, () => {
        for (let from = 0; from < n; from += 4096) all.set(m.scan(q, from, Math.min(4096, n - from)), from);
        return all.slice();
      })]);
    }
    out.push(...rowsOf('dense scan', kind, timed));
  }
  return out;
}

async function maxSimRows(ctx: BenchContext): Promise<BenchRow[]> {
  const s = ctx.quick ? QUICK_SHAPES : FULL_SHAPES;
  const n = (ctx.quick ? SIZES.quick : SIZES.full).candidates;
  const r = mulberry32(ctx.seed + 31);
  const unitRows = (count: number): MultiVector => {
    const data = new Float32Array(count * s.multiDim);
    for (let i = 0; i < count; i++) {
      let norm = 0;
      for (let t = 0; t < s.multiDim; t++) norm += (data[i * s.multiDim + t] = r() - 0.5) ** 2;
      for (let t = 0; t < s.multiDim; t++) data[i * s.multiDim + t]! /= Math.sqrt(norm);
    }
    return { data, count, dim: s.multiDim };
  };
  const query = unitRows(s.queryMultiCount);
  const passages = Array.from({ length: n }, () => unitRows(s.multiCount));
  const kernels: [string, MaxSimKernel | undefined][] = [['typescript', createJsKernel()], ['wasm simd', createWasmKernel()]];
  const out: BenchRow[] = [];
  for (const kind of ['float32', 'float16', 'int8'] as MultiStorage[]) {
    ctx.log(`kernels: maxsim ${kind}`);
    const timed: [string, Timed][] = [];
    for (const [name, kernel] of kernels) {
      if (!kernel) continue;
      const index = new MultiIndex(kind, s.multiDim, { kernel });
      passages.forEach((p, slot) => index.set(slot, p));
      timed.push([name, await time(ctx, () => Float64Array.from({ length: n }, (_, slot) => index.maxSim(slot, query)))]);
    }
    out.push(...rowsOf('maxsim', kind, timed));
  }
  return out;
}

async function headRows(ctx: BenchContext): Promise<BenchRow[]> {
  const { tokens, headDim: dim } = ctx.quick ? SIZES.quick : SIZES.full;
  const r = mulberry32(ctx.seed + 41);
  const head = { weight: Float32Array.from({ length: dim * dim }, () => r() - 0.5), bias: Float32Array.from({ length: dim }, () => r() - 0.5), outDim: dim, inDim: dim };
  const hidden = Float32Array.from({ length: tokens * dim }, () => r() - 0.5);
  ctx.log('kernels: linear head');
  const timed: [string, Timed][] = [];
  for (const simd of [false, true]) {
    if (simd && new DenseMatrix('float32', dim).engine !== 'wasm-simd') continue; // the head runs on the dense scan's kernel
    const all = new Float32Array(tokens * dim);
    timed.push([simd ? 'wasm simd' : 'typescript', await time(ctx, () => {
      for (let t = 0; t < tokens; t++) applyLinear(head, hidden, t * dim, all.subarray(t * dim, (t + 1) * dim), { simd });
      return all.slice();
    })]);
  }
  return rowsOf('linear head', `float32, ${tokens} tokens`, timed);
}
