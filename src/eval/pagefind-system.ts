// Pagefind as an evaluation system (issue #14): the real indexer binary over
// one minimal HTML page per document, and Pagefind's real runtime (its
// pagefind.js + WebAssembly) answering in headless Chromium. Node only; needs
// the optional @pagefind/linux-x64 package and /usr/bin/chromium
// (CHROMIUM_PATH overrides).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { detectLanguage } from '../core/analyzer.js';
import { M3SearchError } from '../core/errors.js';
import type { Doc } from '../core/types.js';
import { serveStatic, type StaticServer } from '../site/serve.js';
import type { System } from './run.js';

const run = promisify(execFile);

/** The indexer that ships with the optional dependency (the extended build segments CJK). */
export const PAGEFIND_BIN = fileURLToPath(new URL('../../node_modules/@pagefind/linux-x64/bin/pagefind_extended', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Both the Pagefind binary and Chromium are here (else the system cannot run). */
export function pagefindAvailable(): boolean {
  return existsSync(PAGEFIND_BIN) && existsSync(CHROMIUM);
}

export interface PagefindSystemOptions {
  name?: string;
  /** `<html lang>` of every page; default detected from the first 200 documents. */
  language?: string;
  /** Searches in flight at once inside the page (Pagefind fetches its chunks concurrently). */
  concurrency?: number;
  /** Passed to `pagefind.options()` (e.g. ranking weights); default Pagefind's own. */
  pagefindOptions?: Record<string, unknown>;
}

export interface PagefindSystem extends System {
  language(): string | undefined;
  /** Bytes of Pagefind's index (fragments, index chunks, filters, metadata; not its JS/CSS/WASM). */
  indexBytes(): Promise<number>;
  /** Seconds the indexer binary ran. */
  buildSeconds(): number;
  /** Searches every query in the page; top-k doc ids per query plus the in-page milliseconds of each. */
  searchMany(queries: readonly string[], k: number): Promise<{ ids: string[][]; ms: number[] }>;
  close(): Promise<void>;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** File name of a document: base64url of its id, so any id is a safe name and a URL maps back. */
export function docFileName(id: string): string {
  return `${Buffer.from(id, 'utf8').toString('base64url')}.html`;
}

/** The doc id behind a Pagefind result URL (`/<base64url>.html` or `/<base64url>`). */
export function docIdOfUrl(url: string): string | undefined {
  const m = /\/([A-Za-z0-9_-]+)(?:\.html)?\/?(?:[?#].*)?$/.exec(url);
  return m ? Buffer.from(m[1]!, 'base64url').toString('utf8') : undefined;
}

function pageHtml(doc: Doc, lang: string | undefined): string {
  const title = doc.title ? `<h1>${escapeHtml(doc.title)}</h1>` : '';
  return `<!doctype html><html${lang ? ` lang="${escapeHtml(lang)}"` : ''}><head><meta charset="utf-8"><title>${escapeHtml(doc.title ?? doc.id)}</title></head><body>${title}<p>${escapeHtml(doc.text)}</p></body></html>`;
}

async function dirBytes(dir: string, keep: (rel: string) => boolean): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath, e.name);
    if (keep(path.relative(dir, full).split(path.sep).join('/'))) total += (await stat(full)).size;
  }
  return total;
}

/** Pagefind's runtime files (not index data). */
const RUNTIME_FILE = /^pagefind[-.].*\.(js|css)$|^wasm\.|^pagefind-ui|^pagefind-modular-ui|^pagefind-component-ui|^pagefind-highlight/;

/** Runs in the page: searches with `concurrency` in flight, top-k URLs and milliseconds per query. */
const IN_PAGE_SEARCH = `async ({ queries, k, concurrency }) => {
  const urls = new Array(queries.length);
  const ms = new Array(queries.length);
  let next = 0;
  const worker = async () => {
    while (next < queries.length) {
      const i = next++;
      const t0 = performance.now();
      const res = await window.pf.search(queries[i]);
      const top = res ? res.results.slice(0, k) : [];
      // data() fetches a fragment per result: remember each page's URL once.
      urls[i] = await Promise.all(top.map(async (r) => {
        const known = window.pfUrls.get(r.id);
        if (known !== undefined) return known;
        const url = (await r.data()).url;
        window.pfUrls.set(r.id, url);
        return url;
      }));
      ms[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queries.length) }, worker));
  return { urls, ms };
}`;

export function pagefindSystem(opts: PagefindSystemOptions = {}): PagefindSystem {
  let dir: string | undefined;
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  let language: string | undefined;
  let buildSeconds = 0;
  let prepared: Map<string, string[]> | undefined;
  const concurrency = opts.concurrency ?? 8;

  const close = async (): Promise<void> => {
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
    if (dir) await rm(dir, { recursive: true, force: true });
    browser = undefined;
    server = undefined;
    page = undefined;
    dir = undefined;
    prepared = undefined;
  };

  const searchMany = async (queries: readonly string[], k: number): Promise<{ ids: string[][]; ms: number[] }> => {
    if (!page) throw new M3SearchError('NOT_READY', 'pagefind: index() first.');
    // Source text, not a function: tsx and vitest rewrite functions (__name, import helpers) that the page lacks.
    const out = (await page.evaluate(`(${IN_PAGE_SEARCH})(${JSON.stringify({ queries, k, concurrency })})`)) as { urls: string[][]; ms: number[] };
    return { ids: out.urls.map((list) => list.map((u) => docIdOfUrl(u)).filter((id): id is string => id !== undefined)), ms: out.ms };
  };

  return {
    name: opts.name ?? 'pagefind',
    language: () => language,
    buildSeconds: () => buildSeconds,
    async indexBytes() {
      if (!dir) throw new M3SearchError('NOT_READY', 'pagefind: index() first.');
      return dirBytes(path.join(dir, 'pagefind'), (f) => !RUNTIME_FILE.test(f));
    },
    async index(docs) {
      if (!pagefindAvailable()) throw new M3SearchError('INVALID_OPTION', `pagefind: needs ${PAGEFIND_BIN} (npm optional dependency @pagefind/linux-x64) and Chromium at ${CHROMIUM}.`);
      await close();
      language = opts.language ?? detectLanguage(docs.slice(0, 200).map((d) => `${d.title ?? ''} ${d.text}`));
      dir = await mkdtemp(path.join(os.tmpdir(), 'm3search-pagefind-'));
      const site = dir;
      const names = new Set<string>();
      // Written in small parallel batches: 100k sequential writes are slow, 100k at once exhaust file handles.
      for (let i = 0; i < docs.length; i += 256) {
        await Promise.all(
          docs.slice(i, i + 256).map((d) => {
            const name = docFileName(d.id);
            if (name.length > 250) throw new M3SearchError('INVALID_DOCUMENT', `pagefind: doc id too long for a file name: ${d.id.slice(0, 40)}…`);
            if (names.has(name)) throw new M3SearchError('DUPLICATE_ID', `pagefind: duplicate doc id ${d.id}`);
            names.add(name);
            return writeFile(path.join(site, name), pageHtml(d, language));
          }),
        );
      }
      const t0 = performance.now();
      try {
        await run(PAGEFIND_BIN, ['--site', site], { maxBuffer: 256 << 20 });
      } catch (e) {
        throw new M3SearchError('INVALID_INDEX', `pagefind: the indexer failed: ${e instanceof Error ? e.message : String(e)}`);
      }
      buildSeconds = (performance.now() - t0) / 1000;
      // Written after indexing so it is not a result; same lang, as pagefind.js picks the index of the page's language.
      await writeFile(path.join(site, '_search.html'), `<!doctype html><html${language ? ` lang="${language}"` : ''}><head><meta charset="utf-8"><title>search</title></head><body></body></html>`);
      server = await serveStatic(site, 0, '127.0.0.1');
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      page = await browser.newPage();
      await page.goto(`${server.url}/_search.html`);
      // A source string, not a function: bundlers (vitest) rewrite a function's import() into their own helper.
      await page.evaluate(`(async () => {
        const pf = await import('/pagefind/pagefind.js');
        const options = ${JSON.stringify(opts.pagefindOptions ?? null)};
        if (options) await pf.options(options);
        await pf.init();
        window.pf = pf;
        window.pfUrls = new Map();
      })()`);
    },
    async prepareQueries(queries) {
      // One round trip into the page for the whole query set (the runner's depth is 100).
      const unique = [...new Set(queries)];
      const { ids } = await searchMany(unique, 100);
      prepared = new Map(unique.map((q, i) => [q, ids[i]!]));
    },
    async search(query, k) {
      const hit = prepared?.get(query);
      if (hit && k <= 100) return hit.slice(0, k);
      return (await searchMany([query], k)).ids[0]!;
    },
    searchMany,
    close,
  };
}
