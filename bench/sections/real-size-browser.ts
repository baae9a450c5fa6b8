// The Chromium half of the real-size bench (the Node half: ./real-size.ts).
// The e2e tests' vite server (test/e2e/support.ts) serves the harness page and
// the model folder from localhost, once with COOP/COEP (the page is
// crossOriginIsolated: ONNX Runtime WASM runs on N threads) and once without
// (1 thread). Each visit is a fresh Chromium profile: the model loads from the
// network (empty Cache API), then again from the Cache API, then passages are
// timed. Ours is createSearch's worker; the baseline is transformers.js
// feature-extraction on the same ONNX file, in the same page setup and run.
// WebGPU gets one row, on SwiftShader where that is the only adapter.
// Quick mode runs the same path on the tiny test model.
import { stat } from 'node:fs/promises';
import os from 'node:os';
import { basename, join } from 'node:path';
import { launchPersistent, openHarness, startServer, WEBGPU_ARGS, type Server } from '../../test/e2e/support.js';
import { ChromiumMemoryWatch, type ChromiumMemory } from '../chromium-rss.js';
import type { PageLoad, PageLoaded } from '../real-size-page.js';
import type { BenchContext, BenchRow, BenchSection, Cell } from '../section.js';
import { loadAverage, ratio } from '../stats.js';
import { seededRandom } from '../../src/eval/random.js';

/** One passage length: how many passages, and how long the page may take for them. */
interface Length {
  tokens: number;
  count: number;
  timeoutS: number;
}

/** As in Node (2 × 128, 1 × 512), plus one 2,048-token passage: minutes per pass on 2 cores, so each gets a deadline. */
const FULL_LENGTHS: Length[] = [
  { tokens: 128, count: 2, timeoutS: 600 },
  { tokens: 512, count: 1, timeoutS: 900 },
  { tokens: 2048, count: 1, timeoutS: 900 },
];
const QUICK_LENGTHS: Length[] = [{ tokens: 32, count: 2, timeoutS: 60 }];
/** Deadline of one model load (worker, runtime, files, session). */
const LOAD_TIMEOUT_S = { full: 900, quick: 120 };
const BATCH = 4;
const MOUNT = '/models/bench/';

interface Model {
  dir: string;
  /** URL path of the folder on the bench server. */
  url: string;
  external: boolean;
}

/** What one visit (one fresh profile, one encoder) measured. */
interface Visit {
  loaded?: PageLoaded;
  /** Seconds of the first load (empty Cache API) and of the second (Cache API). */
  networkS?: number;
  cacheS?: number;
  /** Per length: passages/s, or why there is no figure. */
  rates: Map<number, number | string>;
  memLoaded?: ChromiumMemory;
  memEnd?: ChromiumMemory;
  /** WebGPU visits: the page's adapter (the runtime's own probe). */
  adapter?: { ok: boolean; note: string };
  /** What failed, and at which step. */
  error?: string;
}

/** The run's facts for the notes (the browser, the load averages), filled by `run`. */
const seen = { browser: '', load: [] as string[], modelMB: 0 };

class Timeout extends Error {
  constructor(readonly seconds: number) {
    super(`no answer within ${seconds} s`);
  }
}

/** `p`, or a Timeout after `seconds` (p's own rejection is then dropped: the browser is closed under it). */
function deadline<T>(p: Promise<T>, seconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Timeout(seconds)), seconds * 1000)));
  p.catch(() => undefined);
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

async function modelFolder(ctx: BenchContext): Promise<Model> {
  if (ctx.quick) {
    const { ensureTestModel } = await import('../../scripts/test-model/index.js');
    const dir = (await ensureTestModel()).layouts['hidden-state'];
    return { dir, url: `${MOUNT}${basename(dir)}/`, external: false };
  }
  // int8 only: the one precision a page can hold (fp32's 2.27 GB is not run, see the notes).
  const { ensureShapeModel } = await import('../../scripts/test-model/shape.js');
  const dir = (await ensureShapeModel({ precisions: ['int8'], log: ctx.log })).int8;
  return { dir, url: `${MOUNT}${basename(dir)}/`, external: true };
}

async function onnxMB(model: Model): Promise<number> {
  const file = join(model.dir, 'onnx', 'model_quantized.onnx');
  const sizes = await Promise.all([file, `${file}_data`].map((f) => stat(f).then((s) => s.size, () => 0)));
  return Math.round((sizes[0]! + sizes[1]!) / 1e6);
}

interface Passages {
  warmup: string;
  /** Tokens → the passages of that length. */
  texts: Map<number, string[]>;
}

/** Seeded passages (the Node half's generator and seed): the same texts for every visit. */
async function passages(lengths: readonly Length[]): Promise<Passages> {
  const { shapePassage } = await import('../../scripts/test-model/shape.js');
  const next = seededRandom(20_240_601);
  const warmup = shapePassage(16, next);
  return { warmup, texts: new Map(lengths.map((l) => [l.tokens, Array.from({ length: l.count }, () => shapePassage(l.tokens, next))])) };
}

interface VisitPlan {
  job: PageLoad;
  /** Whether the server sends COOP/COEP: the page must agree. */
  isolated: boolean;
  webgpu: boolean;
  /** Load a second time (from the Cache API) before encoding. */
  cacheLoad: boolean;
  lengths: readonly Length[];
}

/** One fresh profile: load (network), load again (Cache API), warm up, time each length; the browser is closed after. */
async function visit(ctx: BenchContext, server: Server, plan: VisitPlan, texts: Passages): Promise<Visit> {
  const out: Visit = { rates: new Map() };
  const browser = await launchPersistent(plan.webgpu ? WEBGPU_ARGS : []);
  const memory = new ChromiumMemoryWatch(browser.dir);
  const loadS = ctx.quick ? LOAD_TIMEOUT_S.quick : LOAD_TIMEOUT_S.full;
  let step = 'page';
  try {
    const page = await openHarness(browser.context, server);
    seen.browser ||= ((await (await browser.context.newCDPSession(page)).send('Browser.getVersion')) as { product: string }).product;
    const mod = '/bench/real-size-page.ts';
    type PageModule = typeof import('../real-size-page.js');
    const load = () => deadline(page.evaluate(async ({ mod, job }) => ((await import(mod)) as PageModule).load(job), { mod, job: plan.job }), loadS);
    const encode = (list: string[], seconds: number) =>
      deadline(page.evaluate(async ({ mod, texts, batch }) => ((await import(mod)) as PageModule).encode({ texts, batch }), { mod, texts: list, batch: BATCH }), seconds);
    if (plan.webgpu) {
      out.adapter = await page.evaluate(async (mod) => ((await import(mod)) as PageModule).webGpu(), mod);
      if (!out.adapter.ok) return out;
    }
    step = 'load (network)';
    out.loaded = await load();
    out.networkS = out.loaded.seconds;
    if (out.loaded.crossOriginIsolated !== plan.isolated) throw new Error(`the page is${plan.isolated ? ' not' : ''} crossOriginIsolated: the server's headers did not apply`);
    if (plan.cacheLoad) {
      step = 'load (Cache API)';
      out.loaded = await load();
      out.cacheS = out.loaded.seconds;
    }
    out.memLoaded = await memory.read();
    if (plan.webgpu && out.loaded.backend !== 'webgpu') return out; // fell back to WASM: the WASM rows measure that
    step = 'warm-up';
    await encode([texts.warmup], plan.lengths[0]!.timeoutS);
    for (const l of plan.lengths) {
      step = `${l.tokens} tokens`;
      try {
        const list = texts.texts.get(l.tokens)!.slice(0, plan.webgpu ? 1 : l.count);
        out.rates.set(l.tokens, list.length / (await encode(list, l.timeoutS)));
      } catch (e) {
        if (!(e instanceof Timeout)) throw e;
        // The worker is still busy with it: the longer lengths cannot run in this page.
        out.rates.set(l.tokens, `timeout > ${e.seconds} s`);
        for (const rest of plan.lengths.filter((x) => x.tokens > l.tokens)) out.rates.set(rest.tokens, 'not run');
        break;
      }
    }
  } catch (e) {
    out.error = `${step}: ${e instanceof Timeout ? `timeout > ${e.seconds} s` : String((e as Error)?.message ?? e).split('\n')[0]}`;
  } finally {
    out.memEnd = await memory.stop();
    await browser.dispose();
    ctx.log(`  ${JSON.stringify({ ...out, rates: Object.fromEntries(out.rates) })}`); // progress: a long run keeps what it measured
  }
  return out;
}

const num = (v: number | string | undefined): number | null => (typeof v === 'number' ? v : null);
const cell = (v: number | string | undefined): Cell => v ?? null;

function row(page: string, encoder: string, backend: string, v: Visit, lengths: readonly Length[], baseline?: Visit): BenchRow {
  const peak = v.memEnd?.rendererPeakMB ?? null;
  const out: BenchRow = {
    page,
    threads: v.loaded?.threads ?? null,
    encoder,
    backend,
    'load network s': v.networkS ?? null,
    'load Cache API s': v.cacheS ?? null,
    'RSS loaded MB': v.memLoaded?.rendererPeakMB == null ? null : Math.round(v.memLoaded.rendererPeakMB),
    'peak RSS MB': peak === null ? null : Math.round(peak),
  };
  for (const l of lengths) out[`${l.tokens} tok p/s`] = cell(v.rates.get(l.tokens));
  if (baseline) {
    out['load ratio'] = ratio(v.networkS, baseline.networkS);
    out['cache load ratio'] = ratio(v.cacheS, baseline.cacheS);
    out['RSS ratio'] = ratio(peak, baseline.memEnd?.rendererPeakMB);
    for (const l of lengths) out[`${l.tokens} ratio`] = ratio(num(v.rates.get(l.tokens)), num(baseline.rates.get(l.tokens)));
  }
  if (v.error) out.note = v.error;
  return out;
}

/** The WebGPU row: SwiftShader named as the CPU emulation it is; no adapter, or a fallback to WASM, is a row too. */
async function webGpuRow(ctx: BenchContext, server: Server, model: Model, lengths: readonly Length[], texts: Passages): Promise<BenchRow> {
  const first = lengths[0]!;
  const job: PageLoad = { engine: 'ours', model: model.url, dtype: 'q8', backend: 'auto', external: model.external };
  const v = await visit(ctx, server, { job, isolated: true, webgpu: true, cacheLoad: false, lengths: [first] }, texts);
  const adapter = !v.adapter ? 'webgpu' : !v.adapter.ok ? 'webgpu: no adapter' : `webgpu: ${/swiftshader/i.test(v.adapter.note) ? 'SwiftShader (CPU emulation)' : v.adapter.note}`;
  const r = row('isolated (COOP+COEP)', 'ours (dense+sparse+multi)', adapter, v, [first]);
  if (v.adapter && !v.adapter.ok) r.note = v.adapter.note;
  else if (v.loaded && v.loaded.backend !== 'webgpu') r.note = `fell back to WASM, not timed: ${v.loaded.backendNote ?? 'no reason given'}`;
  r['GPU process peak MB'] = v.memEnd?.gpuPeakMB == null ? null : Math.round(v.memEnd.gpuPeakMB);
  return r;
}

/** `--sections real-size-browser`: the real-size int8 encoder in Chromium, ours against transformers.js. */
export const realSizeBrowser: BenchSection = {
  name: 'real-size-browser',
  title: "Encoder at BGE-M3's real size in Chromium (int8, random weights; WASM 1 and N threads, WebGPU)",
  notes(ctx) {
    const lengths = (ctx.quick ? QUICK_LENGTHS : FULL_LENGTHS).map((l) => `${l.count} × ${l.tokens} (deadline ${l.timeoutS} s)`).join(', ');
    return [
      ctx.quick
        ? 'Quick mode: the tiny test model (hidden-state, int8 file) stands in for the real-size one; the numbers mean nothing.'
        : `Model: .cache/model-shape/int8/ — the real-size section's int8 folder (npm run model:shape; built here, int8 only, when missing or stale), onnx/model_quantized.onnx + its .onnx_data, ${seen.modelMB} MB. fp32 (2.27 GB of weights) is not run: more than a page should download, and ONNX Runtime WASM copies the weights into its 4 GB (wasm32) heap.`,
      `Browser: ${seen.browser || 'n/a'} (Debian's Chromium, headless, playwright-core), a fresh profile per row. Page and model served by the e2e tests' vite server (test/e2e/support.ts startServer) from localhost: "isolated" with COOP same-origin + COEP require-corp (crossOriginIsolated: the runtime's wasmThreads() picks min(4, cores) threads), "not isolated" without them (1 thread).`,
      'load network s: the first load in the profile (empty Cache API) over HTTP from localhost — worker start, ONNX Runtime, a local transfer, parsing and session creation, not a real network. load Cache API s: the second load in the same page, model files from the Cache API (ours: bucket m3search-models; transformers.js: transformers-cache, its defaults). Both from the call to a ready encoder.',
      `Passages (tokens with <s>/</s>, one token per word, shapePassage as in Node): ${lengths}; batch ${BATCH} (ours: one encode() call per length, under its batch of 16); one timed pass per length after a 16-token warm-up, in the page that loaded last. A length past its deadline is reported as such and the longer ones are not run (its worker is still busy).`,
      'Memory: RSS of the page\'s renderer process (the largest renderer of the profile) from /proc, VmHWM and VmRSS read every 250 ms, the largest kept (Chromium resets VmHWM now and then) — the page, its workers and ONNX Runtime\'s thread workers, WebAssembly memory included; the GPU process is not counted (its own column on the WebGPU row). RSS loaded MB: the peak up to the end of both loads, before encoding; peak RSS MB: over the whole visit.',
      'ours = createSearch({ backend: "wasm" }) → encode(texts, "passage") (dense + sparse + multi-vector; vectors cross back to the page); transformers.js = pipeline("feature-extraction", { dtype: "q8", device: "wasm" }) with { pooling: "cls", normalize: true } (dense only) in a module worker of the same page, env.allowRemoteModels = false, the model from the same URL (use_external_data_format for the side file). It runs on the project\'s onnxruntime-web (vite dedupes the copy transformers.js pins) with the same .wasm files and thread count as ours (configureOrt).',
      'Ratios: ours ÷ transformers.js on the same page setup (passages/s: >1 is faster; load and RSS: <1 is better).',
      'WebGPU: Chromium with --enable-unsafe-webgpu and SwiftShader\'s Vulkan (test/e2e/support.ts WEBGPU_ARGS); ours with backend "auto" (what a page gets by default), one passage of the shortest length, load from the network only. SwiftShader runs the GPU on the CPU: its speed says nothing about a real GPU. No adapter gives a row saying so.',
      `Load average (1/5/15 min) at start and end: ${seen.load.join(' → ') || 'n/a'}; ${os.availableParallelism()} CPUs.`,
    ];
  },
  async run(ctx) {
    seen.load = [loadAverage()];
    const lengths = ctx.quick ? QUICK_LENGTHS : FULL_LENGTHS;
    const model = await modelFolder(ctx);
    seen.modelMB = await onnxMB(model);
    const texts = await passages(lengths);
    const rows: BenchRow[] = [];
    const job = (engine: PageLoad['engine']): PageLoad => ({ engine, model: model.url, dtype: 'q8', backend: 'wasm', external: model.external });
    for (const isolate of [false, true]) {
      const page = isolate ? 'isolated (COOP+COEP)' : 'not isolated';
      // One server at a time: the two never share a port or a dependency pre-bundling pass.
      const server = await startServer({ isolate, models: { [model.url]: model.dir } });
      try {
        ctx.log(`real-size-browser: ${page}, transformers.js`);
        const theirs = await visit(ctx, server, { job: job('transformers'), isolated: isolate, webgpu: false, cacheLoad: true, lengths }, texts);
        ctx.log(`real-size-browser: ${page}, ours`);
        const ours = await visit(ctx, server, { job: job('ours'), isolated: isolate, webgpu: false, cacheLoad: true, lengths }, texts);
        rows.push(row(page, 'ours (dense+sparse+multi)', 'wasm', ours, lengths, theirs), row(page, 'transformers.js (dense)', 'wasm', theirs, lengths));
        if (isolate) {
          ctx.log('real-size-browser: WebGPU');
          rows.push(await webGpuRow(ctx, server, model, lengths, texts));
        }
      } finally {
        await server.close();
      }
    }
    seen.load.push(loadAverage());
    return rows;
  },
};
