// The search worker failing inside an IndexedDB write transaction (the debug
// hook `crashForTesting(how, 'next-write')` fires after the group's rows are
// queued, before the transaction commits): an uncaught error, and the
// JavaScript heap running out. Pending calls reject with WORKER_CRASHED, the
// store holds whole groups only (the same ids in every object store, meta's
// count equal), and the next createSearch restores it, searches, and resumes.
// (browser-search.test.ts covers terminate() and a closed page.)
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Doc } from '../../src/core/types.js';
import { launch, MODEL_URL, openHarness, sampleCorpus, startServer, type Server } from './support.js';
import { storedKeys } from './stored-keys.js';

let server: Server;
let corpus: Doc[];
const browsers: Browser[] = [];

beforeAll(async () => {
  [server, corpus] = await Promise.all([startServer(), sampleCorpus()]);
});

afterAll(async () => {
  for (const b of browsers) await b.close();
  await server?.close();
});

/** add(48, batchSize 8); once 16 are committed the worker is told to fail in its next write; a remove queued behind the add. */
function addAndFail(page: Page, name: string, docs: Doc[], how: 'throw' | 'oom') {
  return page.evaluate(
    async ({ name, docs, how, model }) => {
      const s = await window.m3.createSearch({ model, name, backend: 'wasm' });
      let armed = false;
      const code = (e: unknown) => ({ code: (e as { code?: string }).code, message: String((e as Error).message) });
      const adding = s
        .add(docs, {
          batchSize: 8,
          onProgress: (p) => {
            if (p.done < 16 || armed) return;
            armed = true;
            s.crashForTesting(how, 'next-write');
          },
        })
        .then(() => ({ code: 'resolved', message: '' }), code);
      const removing = s.remove(['nothing-here']).then(() => ({ code: 'resolved', message: '' }), code);
      const [add, remove] = await Promise.all([adding, removing]);
      return { add, remove, state: s.info.state };
    },
    { name, docs, how, model: MODEL_URL },
  );
}

/** Whole groups of 8 stored, in every object store, then a new createSearch restores, searches and resumes. */
async function expectConsistentAndReopens(page: Page, name: string, docs: Doc[]): Promise<number> {
  const keys = await page.evaluate(storedKeys, `m3search:${name}`);
  const n = keys.docs.length;
  expect(n % 8).toBe(0);
  expect(n).toBeGreaterThanOrEqual(16);
  expect(n).toBeLessThan(docs.length);
  expect([...keys.docs].sort()).toEqual(docs.slice(0, n).map((d) => d.id).sort());
  for (const store of ['dense', 'sparse', 'multi'] as const) expect(keys[store]).toEqual(keys.docs);
  expect(keys.metaCount).toBe(n);

  const probe = docs[3]!;
  const after = await page.evaluate(
    async ({ name, docs, probe, model }) => {
      const s = await window.m3.createSearch({ model, name, backend: 'wasm' });
      const report = await s.ready;
      const top = (await s.search(probe.text, { k: 1, mode: 'sparse' }))[0]!.id;
      const added = await s.add(docs, { batchSize: 8 });
      const stats = await s.stats();
      await s.delete();
      return { report, top, added, stats };
    },
    { name, docs, probe, model: MODEL_URL },
  );
  expect(after.report).toMatchObject({ restored: n, skipped: [], created: false });
  expect(after.top).toBe(probe.id);
  expect(after.added).toMatchObject({ added: docs.length - n, unchanged: n, docCount: docs.length });
  expect(after.stats).toMatchObject({ consistent: true, docCount: docs.length });
  return n;
}

describe('worker failures during a write', () => {
  it('an uncaught error in the worker mid-transaction: pending calls reject with WORKER_CRASHED, whole groups stay, the next createSearch opens it', async () => {
    const browser = await launch();
    browsers.push(browser);
    const docs = corpus.slice(10, 58);
    const page = await openHarness(await browser.newContext(), server);
    const run = await addAndFail(page, 'wf-throw', docs, 'throw');
    expect(run.add.code).toBe('WORKER_CRASHED');
    expect(run.add.message).toContain('uncaught error');
    expect(run.remove.code).toBe('WORKER_CRASHED');
    expect(run.state).toBe('failed');
    await expectConsistentAndReopens(page, 'wf-throw', docs);
  }, 300_000);

  it('the worker running out of memory mid-transaction: nothing of the open group is stored, the next createSearch opens it', async () => {
    // A small heap so the hook exhausts it in a moment (the page and the test model need far less).
    const browser = await launch(['--js-flags=--max-old-space-size=256']);
    browsers.push(browser);
    const context = await browser.newContext();
    const docs = corpus.slice(70, 118);
    const page = await openHarness(context, server);
    let crashed = false;
    page.on('crash', () => (crashed = true));
    // Chromium (156) runs a page's dedicated workers in the page's renderer, and a V8 heap OOM
    // aborts that process: the page dies with its worker, so no call is left to reject there. A
    // browser that kills only the worker must reject the pending calls with WORKER_CRASHED instead.
    const run = await addAndFail(page, 'wf-oom', docs, 'oom').catch((e: Error) => ({ crashedWith: e.message }));
    if ('crashedWith' in run) {
      expect(crashed).toBe(true);
    } else {
      expect(run.add.code).toBe('WORKER_CRASHED');
      expect(run.remove.code).toBe('WORKER_CRASHED');
    }
    const next = await openHarness(context, server);
    const n = await expectConsistentAndReopens(next, 'wf-oom', docs);
    // The hook armed at 16 committed and fired in the next write, which died before committing.
    expect(n).toBe(16);
  }, 300_000);
});
