// The MaxSim kernel alone: the TypeScript loop against the WebAssembly SIMD
// kernel on the same rows, for every multi-vector storage kind. This is the
// rerank step of multi and hybrid search (candidates × passage rows × query
// rows × dim multiply-adds), so its ratio carries straight into their latency.
import { createJsKernel, createWasmKernel, type MaxSimKernel } from '../../src/core/maxsim-kernel.js';
import { MultiIndex } from '../../src/core/multi-index.js';
import type { MultiStorage, MultiVector } from '../../src/core/types.js';
import { mulberry32 } from '../../scripts/test-model/graph.js';
import type { BenchRow, BenchSection } from '../section.js';
import { median, ratio, repeat } from '../stats.js';
import { FULL_SHAPES, QUICK_SHAPES } from '../synthetic.js';

const CANDIDATES = { quick: 20, full: 200 };

export const maxSimSection: BenchSection = {
  name: 'maxsim',
  title: 'MaxSim rerank: TypeScript loop vs WebAssembly SIMD (ms per query)',
  notes(ctx) {
    const s = ctx.quick ? QUICK_SHAPES : FULL_SHAPES;
    const n = ctx.quick ? CANDIDATES.quick : CANDIDATES.full;
    return [
      `${n} candidates × ${s.multiCount} passage rows × ${s.queryMultiCount} query rows × ${s.multiDim} dims (random unit vectors): one query's rerank in multi/hybrid mode; median over up to ${ctx.reps} repetitions.`,
      'Both kernels score the same MultiIndex rows (decoded into the kernel per passage). "vs ts" = SIMD ms / TypeScript ms (< 1 is faster); "max |diff|" = largest score difference between the two.',
    ];
  },
  async run(ctx) {
    const s = ctx.quick ? QUICK_SHAPES : FULL_SHAPES;
    const n = ctx.quick ? CANDIDATES.quick : CANDIDATES.full;
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
    const kernels: [string, MaxSimKernel | undefined][] = [['typescript', createJsKernel()], ['wasm simd', createWasmKernel()]];
    const rows: BenchRow[] = [];
    for (const kind of ['float32', 'float16', 'int8'] as MultiStorage[]) {
      ctx.log(`maxsim: ${kind}`);
      const passages = Array.from({ length: n }, () => unitRows(s.multiCount));
      const scores: Float64Array[] = [];
      const times: number[] = [];
      for (const [, kernel] of kernels) {
        if (!kernel) continue;
        const index = new MultiIndex(kind, s.multiDim, { kernel });
        passages.forEach((p, slot) => index.set(slot, p));
        const out = new Float64Array(n);
        const ms = await repeat(ctx.reps, ctx.quick ? 2_000 : 20_000, async () => {
          const t0 = performance.now();
          for (let slot = 0; slot < n; slot++) out[slot] = index.maxSim(slot, query);
          return performance.now() - t0;
        });
        scores.push(out);
        times.push(median(ms));
      }
      const diff = scores.length === 2 ? Math.max(...scores[0]!.map((v, i) => Math.abs(v - scores[1]![i]!))) : null;
      kernels.forEach(([name, kernel], i) => {
        if (!kernel) return;
        rows.push({ storage: kind, kernel: name, 'ms / query': times[i]!, 'vs ts': i === 0 ? null : ratio(times[i], times[0]), 'max |diff|': i === 0 ? null : diff });
      });
    }
    return rows;
  },
};
