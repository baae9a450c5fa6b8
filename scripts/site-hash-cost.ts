// What checking a static index's SHA-256 file names costs (issue 12): the
// throughput of SubtleCrypto SHA-256 over shard-sized files in Node and in
// Chromium (the page's worker uses the same WebCrypto), and what that means
// for the Debian Python-docs index measured by `npm run site:compare`
// (24.50 MiB; first query downloads ~1 MiB keyword, ~2.3 MiB hybrid).
//   npx tsx scripts/site-hash-cost.ts            (CHROMIUM_PATH overrides /usr/bin/chromium)
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { serveStatic } from '../src/site/serve.js';

const SIZES_KIB = [4, 32, 64, 512];
const TOTAL_MIB = 32; // hashed per size, in files of that size
const PYTHON_DOCS = { indexMiB: 24.5, keywordMiB: 992 / 1024, hybridMiB: 2.33 };

/** Runs in Node and, stringified, in the page: ms per MiB for files of `kib` KiB. */
async function measure(kib: number, totalMiB: number): Promise<number> {
  const file = new Uint8Array(kib * 1024);
  for (let i = 0; i < file.length; i++) file[i] = (i * 2654435761) >>> 24;
  const n = Math.max(1, Math.round((totalMiB * 1024) / kib));
  for (let i = 0; i < 20; i++) await crypto.subtle.digest('SHA-256', file); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    file[0] = i & 0xff; // not the same bytes every time
    await crypto.subtle.digest('SHA-256', file);
  }
  return (performance.now() - t0) / ((n * kib) / 1024);
}

async function inChromium(): Promise<Record<number, number>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'm3s-hash-'));
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>hash</title>');
  const server = await serveStatic(dir); // localhost: a secure context, so crypto.subtle exists
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--headless=new', '--no-sandbox'] });
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    const out: Record<number, number> = {};
    for (const kib of SIZES_KIB) {
      out[kib] = await page.evaluate(`(${measure.toString()})(${kib}, ${TOTAL_MIB})`);
    }
    return out;
  } finally {
    await browser.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const node: Record<number, number> = {};
for (const kib of SIZES_KIB) node[kib] = await measure(kib, TOTAL_MIB);
const browser = await inChromium().catch((e: unknown) => {
  console.error(`Chromium not measured: ${(e as Error).message}`);
  return undefined;
});
console.log('SHA-256 (SubtleCrypto), ms per MiB hashed');
console.log('file size | Node | Chromium');
for (const kib of SIZES_KIB) console.log(`${String(kib).padStart(4)} KiB  | ${node[kib]!.toFixed(2)} | ${browser ? browser[kib]!.toFixed(2) : '-'}`);
const per = (r: Record<number, number>) => r[32]!; // most shards are 32–64 KiB
for (const [name, r] of [['Node', node], ['Chromium', browser]] as const) {
  if (!r) continue;
  const ms = per(r);
  console.log(
    `${name}: Python-docs index (${PYTHON_DOCS.indexMiB} MiB, the offline copy's save) ${(ms * PYTHON_DOCS.indexMiB).toFixed(1)} ms · first keyword query (${PYTHON_DOCS.keywordMiB.toFixed(2)} MiB) ${(ms * PYTHON_DOCS.keywordMiB).toFixed(1)} ms · first hybrid query (${PYTHON_DOCS.hybridMiB} MiB) ${(ms * PYTHON_DOCS.hybridMiB).toFixed(1)} ms`,
  );
}
