// Cross-origin isolation: the dev server (vite.config.ts) and `m3search serve`
// send COOP same-origin + COEP require-corp, so the page is crossOriginIsolated
// and ONNX Runtime runs the model on several WASM threads; the served page
// still loads its same-origin script and image.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from '../../src/site/serve.js';
import { launch, MODEL_URL, openHarness, startServer, type Server } from './support.js';

let server: Server;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launch()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('cross-origin isolation', () => {
  it('the dev server isolates the page, and createSearch runs ORT on more than one WASM thread', async () => {
    const page = await openHarness(browser, server);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const r = await page.evaluate(async (model) => {
      const search = await window.m3.createSearch({ model, name: 'isolation', backend: 'wasm' });
      await search.add([{ id: 'a', text: 'threads need SharedArrayBuffer' }, { id: 'b', text: 'an unrelated sentence about cheese' }]);
      const hits = await search.search('SharedArrayBuffer threads', { k: 1 });
      const report = await search.ready;
      await search.close();
      return { threads: report.wasmThreads, cores: navigator.hardwareConcurrency, top: hits[0]?.id };
    }, MODEL_URL);
    expect(r.threads).toBe(Math.min(4, r.cores));
    if (r.cores > 1) expect(r.threads).toBeGreaterThan(1);
    expect(r.top).toBe('a');
    await page.close();
  });

  it('m3search serve: isolated by default, its same-origin script and image load; isolate: false turns it off', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'm3search-isolation-'));
    // A 1×1 PNG.
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');
    await writeFile(path.join(dir, 'pixel.png'), png);
    await writeFile(path.join(dir, 'app.js'), 'window.scriptRan = true;');
    await writeFile(path.join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><script src="app.js"></script><img id="i" src="pixel.png">');
    for (const isolate of [true, false]) {
      const site = await serveStatic(dir, 0, '127.0.0.1', { isolate });
      try {
        const res = await fetch(site.url);
        expect(res.headers.get('cross-origin-opener-policy')).toBe(isolate ? 'same-origin' : null);
        expect(res.headers.get('cross-origin-embedder-policy')).toBe(isolate ? 'require-corp' : null);
        const page = await browser.newPage();
        await page.goto(site.url);
        await page.waitForFunction(() => (document.getElementById('i') as HTMLImageElement).complete);
        const seen = await page.evaluate(() => ({
          isolated: crossOriginIsolated,
          script: (window as { scriptRan?: boolean }).scriptRan === true,
          image: (document.getElementById('i') as HTMLImageElement).naturalWidth,
        }));
        expect(seen).toEqual({ isolated: isolate, script: true, image: 1 });
        await page.close();
      } finally {
        await site.close();
      }
    }
    await rm(dir, { recursive: true, force: true });
  });
});
