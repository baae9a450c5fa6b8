// The library build (`npm run build` → dist/lib) works as shipped: built with
// vite.lib.config.ts, served by a plain static server, imported by a page with
// no bundler, it spawns its worker, loads ONNX Runtime's WASM from its assets
// and indexes and searches.
import path from 'node:path';
import { readdir } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testModel } from '../helpers/test-model.js';
import { serveStatic } from './static-server.js';
import { launch, ROOT, sampleCorpus, type Server } from './support.js';

const LIB = path.join(ROOT, 'dist', 'lib');
const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import * as m3 from '/lib/index.js';
window.m3lib = m3;
</script>`;

let server: Server;
let browser: Browser;

beforeAll(async () => {
  const [model] = await Promise.all([testModel(), build({ configFile: path.join(ROOT, 'vite.lib.config.ts'), logLevel: 'warn' })]);
  server = await serveStatic({ '/lib/': LIB, '/models/tiny/': model.layouts['heads-in-graph'] }, { '/': PAGE });
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('library build (dist/lib)', () => {
  it('emits the entry, the worker and ONNX Runtime assets, and runs from a static server', async () => {
    const assets = await readdir(path.join(LIB, 'assets'));
    expect(assets.some((f) => /^search\.worker-.*\.js$/.test(f))).toBe(true);
    expect(assets.some((f) => /^ort-wasm-simd-threaded\.asyncify-.*\.wasm$/.test(f))).toBe(true);
    // No 27 MB base64 copy of the wasm inside the worker.
    const worker = assets.find((f) => f.startsWith('search.worker-') && f.endsWith('.js'))!;
    const { size } = await import('node:fs/promises').then((fs) => fs.stat(path.join(LIB, 'assets', worker)));
    expect(size).toBeLessThan(2_000_000);

    const docs = (await sampleCorpus()).filter((_, i) => i % 29 === 0);
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error('[page error]', e.message));
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => 'm3lib' in window, undefined, { timeout: 30_000 });
    const out = await page.evaluate(
      async ({ docs }) => {
        const m3 = (window as unknown as { m3lib: typeof import('../../src/browser/index.js') }).m3lib;
        const search = await m3.createSearch({ model: '/models/tiny/', name: 'lib-build', backend: 'wasm' });
        const added = await search.add(docs);
        const hits = await search.search(docs[2]!.text, { k: 3 });
        await search.delete();
        return { backend: search.info.backend, added, top: hits[0]!.id };
      },
      { docs },
    );
    expect(out).toMatchObject({ backend: 'wasm', added: { added: docs.length }, top: docs[2]!.id });
    await page.close();
  }, 120_000); // ONNX Runtime's one build (WebGPU and WASM) is 27 MB of wasm to compile: slow on busy cores
});
