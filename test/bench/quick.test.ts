// `npm run bench -- --quick` must keep running: it is the only bench CI runs.
// The numbers of a quick run mean nothing; the shape of the output does.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../../bench/run.js';
import { formatRows } from '../../bench/format.js';
import { percentile } from '../../bench/stats.js';
import { SECTIONS } from '../../bench/sections/index.js';
import { testModel } from '../helpers/test-model.js';

const run = promisify(execFile);
let dir: string | undefined;

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('bench --quick', () => {
  it('runs every section and prints/writes tables of the documented shape', async () => {
    await testModel(); // the encoding section reads .cache/test-model
    dir = await mkdtemp(join(tmpdir(), 'm3s-bench-'));
    const json = join(dir, 'bench.json');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--json', json], {
      maxBuffer: 16 * 1024 * 1024,
      // real-size-browser starts Chromium five times and ONNX Runtime nine: minutes on 2 loaded cores.
      timeout: 590_000,
    });
    const report = JSON.parse(await readFile(json, 'utf8')) as BenchReport;
    expect(report.quick).toBe(true);
    expect(report.sections.map((s) => s.name)).toEqual(SECTIONS.map((s) => s.name));
    for (const s of report.sections) {
      expect(s.rows.length).toBeGreaterThan(0);
      expect(s.notes.length).toBeGreaterThan(0);
      expect(stdout).toContain(s.title);
    }
    const section = (name: string) => report.sections.find((s) => s.name === name)!;

    const latency = section('latency').rows;
    const modes = new Set(latency.map((r) => r.mode));
    for (const m of ['dense', 'dense (int8)', 'sparse', 'multi', 'hybrid', 'hybrid (rrf)', 'lexical (ours)', 'minisearch', 'orama']) expect(modes).toContain(m);
    for (const r of latency) {
      expect(r['p50 ms']).toBeGreaterThan(0);
      expect(r['p95 ms']).toBeGreaterThanOrEqual(r['p50 ms'] as number);
    }
    // Ratios are our p50 over the baseline's, measured in the same run.
    const mini = latency.find((r) => r.mode === 'minisearch')!['p50 ms'] as number;
    const dense = latency.find((r) => r.mode === 'dense')!;
    expect(dense['vs minisearch']).toBeCloseTo((dense['p50 ms'] as number) / mini, 9);

    const encoding = section('encoding').rows;
    expect(encoding.some((r) => String(r.encoder).includes('M3Encoder'))).toBe(true);
    expect(encoding.some((r) => String(r.encoder).includes('transformers.js'))).toBe(true);
    for (const r of encoding) expect(r['passages/s']).toBeGreaterThan(0);

    const memory = section('memory').rows;
    const stored = (what: string) => memory.find((r) => r.what === what)!['stored B/passage'] as number;
    // float16 halves the token vectors, int8 keeps 1 byte + a 4-byte scale per row.
    expect(stored('multi float16')).toBeCloseTo(stored('multi float32') / 2, 6);
    expect(stored('dense int8')).toBeLessThan(stored('dense float32') / 3);

    const open = section('open').rows;
    expect(open.some((r) => String(r.what).startsWith('SearchIndex.deserialize'))).toBe(true);
    for (const r of open) expect(r['open ms']).toBeGreaterThan(0);

    // Both implementations of each inner loop ran on every storage kind and agree on the scores.
    const kernels = section('kernels').rows;
    for (const [loop, kinds] of [['dense scan', ['float32', 'int8']], ['maxsim', ['float32', 'float16', 'int8']], ['linear head', ['float32, 16 tokens']]] as const) {
      for (const kind of kinds) {
        const of = (kernel: string) => kernels.find((r) => r.loop === loop && r.storage === kind && r.kernel === kernel)!;
        const [simd, ts] = [of('wasm simd'), of('typescript')];
        expect(simd['vs ts']).toBeCloseTo((simd['ms / query'] as number) / (ts['ms / query'] as number), 9);
        expect(simd['max rel diff']).toBeLessThan(1e-4); // float32 accumulation vs float64
      }
    }

    // real-size (quick: the tiny model): both encoders measured in their own process, ratios from this run.
    const real = section('real-size').rows;
    const [ours, theirs] = [real.find((r) => String(r.encoder).startsWith('ours'))!, real.find((r) => String(r.encoder).startsWith('transformers.js'))!];
    for (const r of [ours, theirs]) {
      expect(r['32 tok p/s']).toBeGreaterThan(0);
      expect(r['peak RSS MB']).toBeGreaterThanOrEqual(r['RSS loaded MB'] as number);
    }
    expect(ours['32 ratio']).toBeCloseTo((ours['32 tok p/s'] as number) / (theirs['32 tok p/s'] as number), 9);
    expect(ours['RSS ratio']).toBeGreaterThan(0);

    // real-size-browser (quick: the tiny model): both encoders on an isolated and a plain page, loaded twice, and a WebGPU row.
    const browser = section('real-size-browser').rows;
    for (const page of ['not isolated', 'isolated (COOP+COEP)']) {
      const of = (encoder: string) => browser.find((r) => r.page === page && r.backend === 'wasm' && String(r.encoder).startsWith(encoder))!;
      const [ours, theirs] = [of('ours'), of('transformers.js')];
      for (const r of [ours, theirs]) {
        expect(r.note).toBeUndefined();
        expect(r['32 tok p/s']).toBeGreaterThan(0);
        expect(r['load network s']).toBeGreaterThan(0);
        expect(r['load Cache API s']).toBeGreaterThan(0);
        expect(r['peak RSS MB']).toBeGreaterThanOrEqual(r['RSS loaded MB'] as number);
      }
      expect(ours.threads).toBe(theirs.threads);
      if (page === 'not isolated') expect(ours.threads).toBe(1);
      expect(ours['32 ratio']).toBeCloseTo((ours['32 tok p/s'] as number) / (theirs['32 tok p/s'] as number), 9);
      expect(ours['cache load ratio']).toBeCloseTo((ours['load Cache API s'] as number) / (theirs['load Cache API s'] as number), 9);
    }
    // WebGPU: timed, or a note saying why not (no adapter, a fallback to WASM) — never left out.
    const gpu = browser.find((r) => String(r.backend).startsWith('webgpu'))!;
    expect(typeof gpu['32 tok p/s'] === 'number' || typeof gpu.note === 'string').toBe(true);
  }, 600_000);
});

describe('bench helpers', () => {
  it('percentile interpolates linearly', () => {
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5], 95)).toBeCloseTo(4.8, 12);
    expect(percentile([], 50)).toBeNaN();
  });

  it('formatRows unions the columns and right-aligns numbers', () => {
    const text = formatRows([{ mode: 'dense', ms: 1.5 }, { mode: 'sparse', extra: 'x' }]);
    const [header, , first, second] = text.split('\n');
    expect(header).toMatch(/^mode\s+ms\s+extra$/);
    expect(first).toMatch(/^dense\s+1\.50\s+–$/);
    expect(second).toMatch(/^sparse\s+–\s+x$/);
  });
});
