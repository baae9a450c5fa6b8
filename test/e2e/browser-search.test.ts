// The browser package end to end, WASM backend, in Debian's Chromium against
// vite-served pages and the generated test model: index → search → reload →
// search again with no encoding; a worker killed (terminate / page closed)
// mid-indexing; remove/update surviving a reload. One server and one browser
// for the whole file; each test uses its own index name.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Doc } from '../../src/core/types.js';
import { launch, MODEL_URL, openHarness, sampleCorpus, startServer, type Server } from './support.js';
import { storedKeys } from './stored-keys.js';

let server: Server;
let browser: Browser;
let context: BrowserContext;
let corpus: Doc[];
/** Requests for model files made by any page or worker of the context. */
const modelRequests: string[] = [];

beforeAll(async () => {
  [server, browser, corpus] = await Promise.all([startServer(), launch(), sampleCorpus()]);
  context = await browser.newContext();
  context.on('request', (r) => {
    if (r.url().includes(MODEL_URL)) modelRequests.push(r.url());
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Every n-th passage: a small set that still spans all ten languages. */
const spread = (step: number, offset = 0) => corpus.filter((_, i) => i % step === offset);

describe('browser search (WASM backend)', () => {
  it('indexes, finds a passage from its own text, and after a reload restores without encoding (identical results)', async () => {
    const docs = spread(6); // 49 passages
    const probes = [docs[1]!, docs[20]!, docs[40]!];
    let page = await openHarness(context, server);

    const first = await page.evaluate(
      async ({ docs, probes, model }) => {
        const loads: { phase: string; loaded: number; total?: number }[] = [];
        const search = await window.m3.createSearch({ model, name: 'wasm-main', backend: 'wasm', onProgress: (p) => loads.push(p) });
        const progress: number[] = [];
        // Progress travels on its own port and may land after add() resolves: wait for its last
        // message (done === total) instead of sleeping.
        let lastProgress!: () => void;
        const allProgress = new Promise<void>((r) => (lastProgress = r));
        const added = await search.add(docs, {
          batchSize: 16,
          onProgress: (p) => {
            progress.push(p.done);
            if (p.done === p.total) lastProgress();
          },
        });
        await allProgress;
        const afterAdd = (await search.stats()).encoderPasses;
        const hits = [];
        for (const p of probes) hits.push(await search.search(p.text, { k: 5 }));
        const stats = await search.stats();
        await search.close();
        return { report: await search.ready, added, progress, afterAdd, hits, stats, loads };
      },
      { docs, probes, model: MODEL_URL },
    );
    expect(first.report).toMatchObject({ backend: 'wasm', created: true, restored: 0 });
    // Model download progress in bytes, ending with every byte of every file fetched.
    const bytes = first.loads.filter((p) => p.phase === 'model');
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes.at(-1)!.loaded).toBe(bytes.at(-1)!.total);
    expect(bytes.at(-1)!.loaded).toBeGreaterThan(1_000_000); // the ONNX file is in it
    expect(first.added).toMatchObject({ added: docs.length, unchanged: 0, docCount: docs.length });
    expect(first.progress).toEqual([0, 16, 32, 48, 49]);
    expect(first.afterAdd).toBe(Math.ceil(docs.length / 16));
    probes.forEach((p, i) => {
      const top = first.hits[i]![0]!;
      expect(top.id).toBe(p.id);
      expect(Object.keys(top.signals).sort()).toEqual(['dense', 'multi', 'sparse']);
      expect(top.doc).toMatchObject({ id: p.id, text: p.text });
    });
    // The dense scan and the MaxSim rerank ran on the WebAssembly SIMD kernels inside the worker.
    expect(first.stats).toMatchObject({
      docCount: docs.length,
      consistent: true,
      encoderPasses: first.afterAdd + probes.length,
      index: { kernels: { denseScan: 'wasm-simd', maxSim: 'wasm-simd' } },
    });
    const fetchedFirst = modelRequests.length;
    expect(fetchedFirst).toBeGreaterThan(0);

    await page.reload();
    page = await openHarness(page, server);
    const second = await page.evaluate(
      async ({ docs, probes, model }) => {
        const search = await window.m3.createSearch({ model, name: 'wasm-main', backend: 'wasm' });
        const passesAtOpen = (await search.stats()).encoderPasses;
        const again = await search.add(docs, { batchSize: 16 });
        const passesAfterAdd = (await search.stats()).encoderPasses;
        const hits = [];
        for (const p of probes) hits.push(await search.search(p.text, { k: 5 }));
        const stats = await search.stats();
        const cached = await caches.open('m3search-models').then((c) => c.keys()).then((ks) => ks.map((r) => new URL(r.url).pathname));
        await search.close();
        return { report: await search.ready, passesAtOpen, again, passesAfterAdd, hits, stats, cached };
      },
      { docs, probes, model: MODEL_URL },
    );
    expect(second.report).toMatchObject({ backend: 'wasm', created: false, restored: docs.length, skipped: [] });
    expect(second.passesAtOpen).toBe(0);
    expect(second.again).toMatchObject({ added: 0, updated: 0, unchanged: docs.length });
    expect(second.passesAfterAdd).toBe(0);
    expect(second.stats.encoderPasses).toBe(probes.length); // the queries only
    expect(second.hits).toEqual(first.hits);
    // Model files came from the Cache API: no network on the second visit.
    expect(modelRequests.length).toBe(fetchedFirst);
    expect(second.cached).toContain(`${MODEL_URL}onnx/model_quantized.onnx`);
    await page.close();
  });

  it('keeps every committed batch and nothing partial when the worker is terminated mid-indexing', async () => {
    const docs = spread(4, 1).slice(0, 48);
    const page = await openHarness(context, server);
    const run = await page.evaluate(
      async ({ docs, model }) => {
        const search = await window.m3.createSearch({ model, name: 'kill-terminate', backend: 'wasm' });
        let doneAtKill = -1;
        const error = await search
          .add(docs, {
            batchSize: 8,
            onProgress: (p) => {
              if (p.done >= 16 && doneAtKill < 0) {
                doneAtKill = p.done;
                search.terminate();
              }
            },
          })
          .then(
            () => 'finished',
            (e: { code?: string }) => e.code,
          );
        return { error, doneAtKill, state: search.info.state };
      },
      { docs, model: MODEL_URL },
    );
    expect(run).toMatchObject({ error: 'ABORTED', state: 'closed' });
    await expectResumable(page, 'kill-terminate', docs, run.doneAtKill);
    await page.close();
  });

  it('keeps every committed batch and nothing partial when the page is closed mid-indexing', async () => {
    const docs = spread(4, 2).slice(0, 48);
    const doomed = await openHarness(context, server);
    await doomed.evaluate(
      ({ docs, model }) => {
        const w = window as unknown as { done: number };
        w.done = 0;
        void window.m3.createSearch({ model, name: 'kill-close', backend: 'wasm' }).then((s) =>
          s.add(docs, { batchSize: 8, onProgress: (p) => (w.done = p.done) }),
        );
      },
      { docs, model: MODEL_URL },
    );
    await doomed.waitForFunction(() => (window as unknown as { done: number }).done >= 16, undefined, { timeout: 60_000, polling: 20 });
    const doneAtKill = await doomed.evaluate(() => (window as unknown as { done: number }).done);
    await doomed.close({ runBeforeUnload: false });
    expect(doneAtKill).toBeLessThan(docs.length); // it really was mid-indexing

    const page = await openHarness(context, server);
    await expectResumable(page, 'kill-close', docs, doneAtKill);
    await page.close();
  });

  it('cancelling createSearch mid-download rejects with ABORTED, caches nothing partial, and loses nothing stored', async () => {
    // A fresh context: an empty Cache API, so the model really is downloaded.
    const fresh = await browser.newContext();
    const docs = spread(12, 5).slice(0, 10);
    try {
      const seed = await openHarness(fresh, server);
      const stored = await seed.evaluate(
        async ({ docs, model }) => {
          const search = await window.m3.createSearch({ model, name: 'cancel-open', backend: 'wasm', modelCacheName: 'cancel-test' });
          const added = await search.add(docs);
          await search.close();
          await caches.delete('cancel-test'); // the next open must go to the network
          return added.docCount;
        },
        { docs, model: MODEL_URL },
      );
      expect(stored).toBe(docs.length);
      await seed.close();

      // Hold the ONNX file's response until the test lets it go: the open is then
      // certainly mid-download when the signal fires.
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let held = 0;
      await fresh.route('**/models/tiny/onnx/**', async (route) => {
        held++;
        await released;
        await route.continue().catch(() => undefined); // the request may be gone by then
      });
      const page = await openHarness(fresh, server);
      const pending = page.evaluate(
        async ({ model }) => {
          const ctl = new AbortController();
          (window as unknown as { cancelOpen: () => void }).cancelOpen = () => ctl.abort();
          const error = await window.m3
            .createSearch({ model, name: 'cancel-open', backend: 'wasm', modelCacheName: 'cancel-test', signal: ctl.signal })
            .then(
              () => 'opened',
              (e: { code?: string }) => e.code,
            );
          const cachedFiles = (await (await caches.open('cancel-test')).keys()).map((r) => new URL(r.url).pathname);
          return { error, cachedFiles };
        },
        { model: MODEL_URL },
      );
      // Cancel once the worker is waiting on the held ONNX download.
      const deadline = Date.now() + 60_000;
      while (held === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await page.evaluate(() => (window as unknown as { cancelOpen: () => void }).cancelOpen());
      const run = await pending;
      release();
      await fresh.unroute('**/models/tiny/onnx/**');
      expect(held).toBeGreaterThan(0);
      expect(run.error).toBe('ABORTED');
      expect(run.cachedFiles.some((f) => f.endsWith('.onnx'))).toBe(false); // no partial model cached

      // The stored index is intact: the next open restores every passage without encoding.
      const after = await page.evaluate(
        async ({ model }) => {
          const search = await window.m3.createSearch({ model, name: 'cancel-open', backend: 'wasm', modelCacheName: 'cancel-test' });
          const report = await search.ready;
          const stats = await search.stats();
          await search.delete();
          return { report, stats };
        },
        { model: MODEL_URL },
      );
      expect(after.report).toMatchObject({ created: false, restored: docs.length });
      expect(after.stats).toMatchObject({ docCount: docs.length, consistent: true, encoderPasses: 0 });
      await page.close();
    } finally {
      await fresh.close();
    }
  });

  it('remove and update survive a reload; clear and delete empty the index', async () => {
    const docs = spread(10, 3); // 29 passages
    const [gone, changed] = [docs[5]!, docs[12]!];
    const donor = corpus.find((d) => !docs.includes(d) && d.meta?.lang === 'en' && d.text.length > 300)!;
    let page = await openHarness(context, server);
    const before = await page.evaluate(
      async ({ docs, gone, changed, donor, model }) => {
        const search = await window.m3.createSearch({ model, name: 'mutations', backend: 'wasm' });
        await search.add(docs);
        const goneTop = (await search.search(gone.text, { k: 1, mode: 'sparse' }))[0]!.id;
        const removed = await search.remove(gone.id);
        const updated = await search.update([{ ...changed, text: donor.text, title: 'rewritten' }]);
        const stats = await search.stats();
        await search.close();
        return { goneTop, removed, updated, stats };
      },
      { docs, gone, changed, donor, model: MODEL_URL },
    );
    expect(before.goneTop).toBe(gone.id);
    expect(before.removed).toEqual({ removed: 1, docCount: docs.length - 1 });
    expect(before.updated).toMatchObject({ added: 0, updated: 1, docCount: docs.length - 1 });
    expect(before.stats).toMatchObject({ consistent: true, docCount: docs.length - 1 });

    await page.reload();
    page = await openHarness(page, server);
    const after = await page.evaluate(
      async ({ gone, changed, donor, model }) => {
        const search = await window.m3.createSearch({ model, name: 'mutations', backend: 'wasm' });
        const passes0 = (await search.stats()).encoderPasses;
        // Dense mode ranks every stored passage: a complete list, so "absent" means something.
        const goneHits = await search.search(gone.text, { k: 1000, mode: 'dense' });
        const donorHits = await search.search(donor.text, { k: 1, mode: 'sparse' });
        const oldHits = await search.search(changed.text, { k: 5, mode: 'sparse' });
        const report = await search.ready;
        await search.clear();
        const emptyError = await search.search('anything', {}).then(
          () => 'no error',
          (e: { code?: string }) => e.code,
        );
        const cleared = await search.stats();
        const dbsBefore = (await indexedDB.databases()).map((d) => d.name);
        await search.delete();
        const dbs = (await indexedDB.databases()).map((d) => d.name);
        return { passes0, goneHits: goneHits.map((h) => h.id), donorTop: donorHits[0]!, oldHits: oldHits.map((h) => h.id), report, emptyError, cleared, dbsBefore, dbs };
      },
      { gone, changed, donor, model: MODEL_URL },
    );
    expect(after.passes0).toBe(0);
    expect(after.report).toMatchObject({ restored: docs.length - 1, created: false });
    expect(after.goneHits).toHaveLength(docs.length - 1);
    expect(after.goneHits).not.toContain(gone.id);
    expect(after.donorTop).toMatchObject({ id: changed.id, doc: { title: 'rewritten', text: donor.text } });
    expect(after.oldHits[0]).not.toBe(changed.id);
    expect(after.emptyError).toBe('INDEX_EMPTY');
    expect(after.cleared).toMatchObject({ docCount: 0, stored: { docs: 0, dense: 0, sparse: 0, multi: 0, meta: 0 } });
    expect(after.dbsBefore).toContain('m3search:mutations');
    expect(after.dbs).not.toContain('m3search:mutations');
    await page.close();
  });
});

/**
 * After a kill: the stored index holds exactly the first whole batches (the
 * same keys in all four stores, at least the batches reported done), reopens
 * consistent, and `add` of the same documents encodes only the rest.
 */
async function expectResumable(page: Page, name: string, docs: Doc[], doneAtKill: number): Promise<void> {
  const keys = await page.evaluate(storedKeys, `m3search:${name}`);
  const n = keys.docs.length;
  expect(n % 8).toBe(0);
  expect(n).toBeGreaterThanOrEqual(doneAtKill);
  expect(n).toBeLessThan(docs.length);
  expect([...keys.docs].sort()).toEqual(docs.slice(0, n).map((d) => d.id).sort());
  for (const store of ['dense', 'sparse', 'multi'] as const) expect(keys[store]).toEqual(keys.docs);
  expect(keys.metaCount).toBe(n);

  const resumed = await page.evaluate(
    async ({ docs, name, model }) => {
      const search = await window.m3.createSearch({ model, name, backend: 'wasm' });
      const report = await search.ready;
      const added = await search.add(docs, { batchSize: 8 });
      const stats = await search.stats();
      await search.delete();
      return { report, added, stats };
    },
    { docs, name, model: MODEL_URL },
  );
  expect(resumed.report).toMatchObject({ restored: n, skipped: [] });
  expect(resumed.added).toMatchObject({ unchanged: n, added: docs.length - n, docCount: docs.length });
  expect(resumed.stats).toMatchObject({ consistent: true, encoderPasses: Math.ceil((docs.length - n) / 8) });
}
