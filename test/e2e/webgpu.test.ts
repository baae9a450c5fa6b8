// The WebGPU backend on SwiftShader (Vulkan on the CPU, so it runs headless
// without a GPU): the worker must pick WebGPU when the page has an adapter,
// and its vectors must match the WASM backend's within float tolerance.
// SwiftShader compiles a shader set per input shape, so this file encodes a
// handful of texts in one pass instead of indexing a corpus.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Encoded } from '../../src/core/types.js';
import { launch, MODEL_URL, openHarness, sampleCorpus, startServer, WEBGPU_ARGS, type Server } from './support.js';
import { cosine } from '../helpers/vectors.js';

let server: Server;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launch(WEBGPU_ARGS)]);
  page = await openHarness(browser, server);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('WebGPU backend (SwiftShader)', () => {
  it('is chosen when an adapter exists and encodes like WASM', async () => {
    const corpus = await sampleCorpus();
    // Three languages, three scripts; one encoder pass per backend.
    const texts = ['en-cache-config-1', 'ja-service-worker-1', 'ru-'].map((p) => corpus.find((d) => d.id.startsWith(p))!.text);
    const out = await page.evaluate(
      async ({ texts, model }) => {
        const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
        const adapter = gpu ? (await gpu.requestAdapter()) !== null : false;
        const [auto, wasm] = await Promise.all([
          window.m3.createSearch({ model, name: 'gpu-auto' }),
          window.m3.createSearch({ model, name: 'gpu-wasm', backend: 'wasm' }),
        ]);
        const t0 = performance.now();
        const autoVecs = await auto.encode(texts, 'passage');
        const autoMs = performance.now() - t0;
        const wasmVecs = await wasm.encode(texts, 'passage');
        const reports = { auto: await auto.ready, wasm: await wasm.ready };
        await Promise.all([auto.delete(), wasm.delete()]);
        return { adapter, reports, autoVecs, wasmVecs, autoMs };
      },
      { texts, model: MODEL_URL },
    );
    const { auto, wasm } = out.reports;
    console.log(
      `[webgpu] adapter=${out.adapter} chosen=${auto.backend}${auto.backendNote ? ` (${auto.backendNote})` : ''}; model load ${Math.round(auto.timings.modelMs)} ms, one pass of ${texts.length} texts ${Math.round(out.autoMs)} ms`,
    );
    expect(out.adapter).toBe(true); // SwiftShader's Vulkan adapter: if this fails, the flags no longer give WebGPU
    expect(auto.backend).toBe('webgpu');
    expect(wasm.backend).toBe('wasm');
    expect(auto.model.fingerprint).toBe(wasm.model.fingerprint);
    const worst = { dense: 0, sparse: 0, multi: 0 };
    out.autoVecs.forEach((g, i) => {
      const w = out.wasmVecs[i]!;
      expectClose(g, w);
      worst.dense = Math.max(worst.dense, maxDiff(g.dense, w.dense));
      worst.sparse = Math.max(worst.sparse, maxDiff(g.sparse.weights, w.sparse.weights));
      worst.multi = Math.max(worst.multi, maxDiff(g.multi.data, w.multi.data));
    });
    console.log(`[webgpu] largest |webgpu − wasm| difference: dense ${worst.dense.toExponential(2)}, sparse ${worst.sparse.toExponential(2)}, multi ${worst.multi.toExponential(2)}`);
    // SwiftShader runs WebGPU on the CPU: ~60 s idle on 2 cores, more when other suites share them.
  }, 240_000);
});

/** Same token ids, and every dense / sparse / multi value within int8-kernel tolerance. */
function expectClose(a: Encoded, b: Encoded): void {
  expect(a.tokens).toBe(b.tokens);
  expect(maxDiff(a.dense, b.dense)).toBeLessThan(2e-2);
  expect(cosine(a.dense, b.dense)).toBeGreaterThan(0.999);
  expect([...a.sparse.ids]).toEqual([...b.sparse.ids]);
  expect(maxDiff(a.sparse.weights, b.sparse.weights)).toBeLessThan(2e-2);
  expect([a.multi.count, a.multi.dim]).toEqual([b.multi.count, b.multi.dim]);
  expect(maxDiff(a.multi.data, b.multi.data)).toBeLessThan(3e-2);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
