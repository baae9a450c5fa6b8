// Browser storage benchmark, in Debian's Chromium against the vite-served harness:
//   1. indexes the sample corpus (290 passages) with the generated test model and
//      reports IndexedDB bytes per passage for each representation (docs, dense,
//      sparse, multi) under the default storage (dense float32, multi float16)
//      and under int8/int8;
//   2. grows the default index to N passages (default 10,000) by copying the
//      REAL stored rows of the 290 encoded passages under new ids (same shapes,
//      bytes and posting lists as the test model produces; no synthetic vectors);
//   3. restarts the browser (same on-disk profile) and times createSearch()
//      reopening it: IndexedDB read + in-memory index rebuild (restoreMs), model
//      load (modelMs) and the whole call, then twice more after page reloads.
// It also reports which backend `backend: 'auto'` chose.
//
//   npx tsx bench/browser-reopen.ts [--n 10000] [--webgpu]      (npm run bench:browser)
//
// With --dim D [--rows R] it instead writes N records of that real size (BGE-M3:
// --dim 1024 --rows 16; int8 dense, nested ≤ R int8 token vectors, sparse) and
// times only the reopen (IndexedDB + index rebuild) after a browser restart,
// next to MiniSearch.loadJSON of the same texts (bench/reopen-real-size.ts).
// --batch B: records per store write (default 32, the engine's batch; a
// larger one writes a big index faster and stores the same packs).
// --profile: IndexedDB read / checks / index build of the packs, apart.
// --cpuprofile FILE: one more reopen under Chromium's sampling profiler
// (CDP), written to FILE, with the main thread's self time per function.
import { writeFile } from 'node:fs/promises';
import { launchPersistent, MODEL_URL, openHarness, sampleCorpus, startServer, WEBGPU_ARGS } from '../test/e2e/support.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const optText = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const TARGET = opt('n', 10_000);
const NAME = 'bench-reopen';

/** In the page: bytes of every stored record of an index, per part (schema 4 packs, column by column, and token values: structured-clone payload sizes). */
async function storedBytes(dbName: string) {
  const req = <T>(r: IDBRequest<T>) =>
    new Promise<T>((resolve, reject) => {
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  const db = await req(indexedDB.open(dbName));
  const tx = db.transaction(['packs', 'tokens'], 'readonly');
  type Pack = { ids: string[]; docs: unknown[]; dense: ArrayBuffer; denseScales?: ArrayBuffer; sparseEnds: ArrayBuffer; sparseIds: ArrayBuffer; sparseWeights: ArrayBuffer; multiCounts: ArrayBuffer };
  const packs = (await req(tx.objectStore('packs').getAll())) as Pack[];
  const tokens = (await req(tx.objectStore('tokens').getAll())) as ArrayBuffer[];
  db.close();
  const utf8 = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).byteLength;
  const out = { passages: 0, docs: 0, dense: 0, sparse: 0, multi: 0, multiRows: 0, sparseTerms: 0 };
  for (const p of packs) {
    out.passages += p.ids.length;
    // Document rows are plain objects: their JSON size approximates the clone size.
    for (const d of p.docs) out.docs += utf8(d);
    out.dense += p.dense.byteLength + (p.denseScales?.byteLength ?? 0);
    out.sparse += p.sparseIds.byteLength + p.sparseWeights.byteLength + p.sparseEnds.byteLength;
    out.sparseTerms += p.sparseIds.byteLength / 4;
    for (const c of new Uint32Array(p.multiCounts)) out.multiRows += c;
  }
  for (const t of tokens) out.multi += t.byteLength;
  return out;
}

/** In the page: copies the stored packs (and token values) under new ids until the index holds `target` documents. */
async function grow({ dbName, target }: { dbName: string; target: number }) {
  const req = <T>(r: IDBRequest<T>) =>
    new Promise<T>((resolve, reject) => {
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  type Pack = { ids: string[]; docs: { id: string }[]; hashes: string[]; sparseEnds: ArrayBuffer } & Record<string, unknown>;
  const stores = ['ids', 'packs', 'heads', 'tokens', 'meta'];
  const db = await req(indexedDB.open(dbName));
  const read = db.transaction(stores, 'readonly');
  const packs = (await req(read.objectStore('packs').getAll())) as Pack[];
  const tokenIds = (await req(read.objectStore('tokens').getAllKeys())) as string[];
  const tokenValues = (await req(read.objectStore('tokens').getAll())) as ArrayBuffer[];
  const tokens = new Map(tokenIds.map((id, i) => [id, tokenValues[i]!]));
  const meta = (await req(read.objectStore('meta').get('meta'))) as { nextPack?: number } & Record<string, unknown>;
  const t0 = performance.now();
  let count = packs.reduce((n, p) => n + p.ids.length, 0);
  let next = meta.nextPack ?? 1;
  /** The first n documents of a pack (columns cut at row n; checksums do not cover the ids). */
  const prefix = (p: Pack, n: number): Pack => {
    if (n === p.ids.length) return p;
    const rows = (k: string, per: number) => (p[k] as ArrayBuffer).slice(0, n * per);
    const nnz = new Uint32Array(p.sparseEnds)[n - 1]!;
    const per = (p.dense as ArrayBuffer).byteLength / p.ids.length;
    return {
      ...p,
      ids: p.ids.slice(0, n),
      docs: p.docs.slice(0, n),
      hashes: p.hashes.slice(0, n),
      dense: rows('dense', per),
      ...(p.denseScales ? { denseScales: rows('denseScales', 4) } : {}),
      sparseEnds: rows('sparseEnds', 4),
      sparseIds: (p.sparseIds as ArrayBuffer).slice(0, nnz * 4),
      sparseWeights: (p.sparseWeights as ArrayBuffer).slice(0, nnz * 4),
      multiCounts: rows('multiCounts', 4),
      multiSums: rows('multiSums', 4),
      sums: rows('sums', 4),
    };
  };
  for (let copy = 1; count < target; copy++) {
    const tx = db.transaction(stores, 'readwrite');
    for (const p of packs) {
      if (count >= target) break;
      const cut = prefix(p, Math.min(p.ids.length, target - count));
      const ids = cut.ids.map((id) => `${id}~${copy}`);
      const pack = { ...cut, ids, docs: cut.docs.map((d, i) => ({ ...d, id: ids[i] })) };
      const key = next++;
      tx.objectStore('packs').put(pack, key);
      tx.objectStore('heads').put(ids, key);
      ids.forEach((id, i) => {
        tx.objectStore('ids').put(key, id);
        tx.objectStore('tokens').put(tokens.get(cut.ids[i]!)!, id);
      });
      count += ids.length;
    }
    tx.objectStore('meta').put({ ...meta, count, nextPack: next, updatedAt: Date.now() }, 'meta');
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }
  db.close();
  return { count, writeMs: performance.now() - t0 };
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function (name, file and line), largest first. */
function selfTimes(p: CpuProfile): [string, number][] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const out = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(src|bench|node_modules)\//, '$1/').replace(/\?.*$/, '')}:${f.lineNumber + 1}`;
    out.set(key, (out.get(key) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  return [...out].sort((a, b) => b[1] - a[1]);
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toString() : n.toFixed(1));

/** --dim: real-size records written straight through the store, reopened after a browser restart. */
async function realSize(dim: number, rows: number): Promise<void> {
  const [server, corpus] = await Promise.all([startServer(), sampleCorpus()]);
  const browser = await launchPersistent();
  const shape = { name: `${NAME}-real`, n: TARGET, dim, rows, texts: corpus.map((d) => d.text), batch: opt('batch', 32) };
  const mod = '/bench/reopen-real-size.ts';
  try {
    let page = await openHarness(browser.context, server);
    const w = await page.evaluate(async ({ mod, shape }) => ((await import(mod)) as typeof import('./reopen-real-size.js')).write(shape), { mod, shape });
    console.log(`[write] ${w.count} passages in writes of ${shape.batch} (dense int8 × ${dim}, ${fmt(w.multiRows / w.count)} int8 token vectors × ${dim} on average, ≤ ${rows}) in ${fmt(w.writeMs)} ms`);
    await page.close();
    await browser.close();
    await browser.reopen();
    page = await openHarness(browser.context, server);
    for (let run = 1; run <= 3; run++) {
      const r = await page.evaluate(async ({ mod, shape }) => ((await import(mod)) as typeof import('./reopen-real-size.js')).reopen(shape), { mod, shape });
      console.log(
        `[reopen ${run}${run === 1 ? ', after browser restart' : ', after page reload'}] ${r.size} passages (${r.skipped} skipped): open ${fmt(r.openMs)} ms, restore ${fmt(r.restoreMs)} ms (index build ${fmt(r.buildMs)} ms); ` +
          `MiniSearch.loadJSON of the same texts ${fmt(r.miniMs)} ms (${fmt(r.miniBytes / 1e6)} MB JSON); ratio ${(r.openMs / r.miniMs).toFixed(2)}×` +
          ('queryMs' in r ? `; first hybrid queries (k=10) ${(r.queryMs as number[]).map(fmt).join(' / ')} ms, token vectors then in memory for ${String(r.loadedAfter)} passages` : ''),
      );
      if (run < 3) {
        await page.reload();
        page = await openHarness(page, server);
      }
    }
    if (flag('profile')) {
      await page.reload();
      page = await openHarness(page, server);
      const p = await page.evaluate(async ({ mod, shape }) => ((await import(mod)) as typeof import('./reopen-real-size.js')).profile(shape), { mod, shape });
      console.log(`[profile] ${p.records} records in ${p.packs} values: IndexedDB getAll ${fmt(p.readMs)} ms, checks (checksums) ${fmt(p.unpackMs)} ms, index build (addBlock) ${fmt(p.buildMs)} ms`);
    }
    const cpu = optText('cpuprofile');
    if (cpu !== undefined) {
      // One more reopen under Chromium's sampling profiler (CDP): where the main thread's time goes.
      await page.reload();
      page = await openHarness(page, server);
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
      const r = await page.evaluate(async ({ mod, shape }) => ((await import(mod)) as typeof import('./reopen-real-size.js')).openOnly(shape), { mod, shape });
      const { profile } = (await cdp.send('Profiler.stop')) as { profile: CpuProfile };
      await writeFile(cpu, JSON.stringify(profile));
      console.log(`[cpuprofile] reopen ${fmt(r.openMs)} ms under the profiler, written to ${cpu}; self time by function:`);
      for (const [name, ms] of selfTimes(profile).slice(0, 25)) console.log(`  ${fmt(ms).padStart(7)} ms  ${name}`);
    }
  } finally {
    await browser.dispose();
    await server.close();
  }
}

async function main(): Promise<void> {
  if (args.includes('--dim')) return realSize(opt('dim', 1024), opt('rows', 16));
  const extra = flag('webgpu') ? WEBGPU_ARGS : [];
  const [server, corpus] = await Promise.all([startServer(), sampleCorpus()]);
  const browser = await launchPersistent(extra);
  try {
    let page = await openHarness(browser.context, server);
    // 1. Index the corpus twice (two storage settings) and measure the stored bytes.
    const indexed = await page.evaluate(
      async ({ docs, model, name }) => {
        const out = [];
        for (const [suffix, storage] of [['', {}], [':int8', { dense: 'int8', multi: 'int8' }]] as const) {
          const t0 = performance.now();
          const search = await window.m3.createSearch({ model, name: name + suffix, storage, ...(suffix ? { backend: 'wasm' as const } : {}) });
          const t1 = performance.now();
          const before = (await navigator.storage.estimate()).usage ?? 0;
          await search.add(docs, { batchSize: 32 });
          const t2 = performance.now();
          const after = (await navigator.storage.estimate()).usage ?? 0;
          const report = await search.ready;
          await search.close();
          out.push({ name: name + suffix, storage: report.storage, backend: report.backend, backendNote: report.backendNote, openMs: t1 - t0, addMs: t2 - t1, usageDelta: after - before });
        }
        return out;
      },
      { docs: corpus, model: MODEL_URL, name: NAME },
    );
    for (const r of indexed) {
      const b = await page.evaluate(storedBytes, `m3search:${r.name}`);
      const per = (x: number) => fmt(x / b.passages);
      console.log(
        `[bytes] ${r.name} (dense ${r.storage.dense}, multi ${r.storage.multi}; backend ${r.backend}${r.backendNote ? ` — ${r.backendNote}` : ''}): ` +
          `${b.passages} passages indexed in ${fmt(r.addMs)} ms; per passage: docs ${per(b.docs)} B, dense ${per(b.dense)} B, sparse ${per(b.sparse)} B (${per(b.sparseTerms)} terms), ` +
          `multi ${per(b.multi)} B (${per(b.multiRows)} token vectors); payload total ${per(b.docs + b.dense + b.sparse + b.multi)} B; ` +
          `navigator.storage.estimate() grew ${per(r.usageDelta)} B/passage`,
      );
    }

    // 2. Grow the default index to TARGET passages from its real rows.
    const grown = await page.evaluate(grow, { dbName: `m3search:${NAME}`, target: TARGET });
    console.log(`[grow] ${grown.count} passages written to IndexedDB in ${fmt(grown.writeMs)} ms (copies of the 290 real encodings)`);

    // 3. Restart the browser on the same profile, then reopen (and twice more after reloads).
    await page.close();
    await browser.close();
    await browser.reopen();
    page = await openHarness(browser.context, server);
    for (let run = 1; run <= 3; run++) {
      const r = await page.evaluate(
        async ({ model, name }) => {
          const t0 = performance.now();
          const search = await window.m3.createSearch({ model, name });
          const totalMs = performance.now() - t0;
          const report = await search.ready;
          const t1 = performance.now();
          const hits = await search.search('how do I configure caching?', { k: 10 });
          const searchMs = performance.now() - t1;
          const stats = await search.stats();
          await search.close();
          return { totalMs, searchMs, report, passes: stats.encoderPasses, consistent: stats.consistent, hits: hits.length };
        },
        { model: MODEL_URL, name: NAME },
      );
      console.log(
        `[reopen ${run}${run === 1 ? ', after browser restart' : ', after page reload'}] ${r.report.restored} passages: restore ${fmt(r.report.timings.restoreMs)} ms (of which index build ${fmt(r.report.timings.buildMs)} ms, the rest IndexedDB reads), ` +
          `model load ${fmt(r.report.timings.modelMs)} ms (overlapping), worker open ${fmt(r.report.timings.openMs)} ms, createSearch total ${fmt(r.totalMs)} ms; backend ${r.report.backend}; ` +
          `encoder passes at open 0 → after 1 query ${r.passes}; consistent ${r.consistent}; query (hybrid, k=10) ${fmt(r.searchMs)} ms`,
      );
      if (run < 3) {
        await page.reload();
        page = await openHarness(page, server);
      }
    }
    const est = await page.evaluate(() => navigator.storage.estimate());
    console.log(`[storage] navigator.storage.estimate().usage with all indexes: ${fmt((est.usage ?? 0) / 1e6)} MB`);
  } finally {
    await browser.dispose();
    await server.close();
  }
}

await main();
