// Shared e2e plumbing: a vite dev server on a free port (serving the demo,
// the harness page and the generated test model at /models/tiny/) and
// Debian's Chromium driven by playwright-core.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createServer, type Plugin, type ViteDevServer } from 'vite';
import type { Doc } from '../../src/core/types.js';
import { serveModelFolder } from '../../vite.config.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const MODEL_URL = '/models/tiny/';

const BASE_ARGS = ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** WebGPU on the CPU through SwiftShader's Vulkan (works headless, no GPU needed). */
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader'];

export interface Server {
  url: string;
  close(): Promise<void>;
}

/** How `startServer` serves: with or without cross-origin isolation, and which extra model folders. */
export interface ServerOptions {
  /**
   * Send COOP same-origin + COEP require-corp, as `vite.config.ts` does (default true):
   * the page is crossOriginIsolated, so ONNX Runtime may run several WASM threads.
   * false serves the same files without them (one thread).
   */
  isolate?: boolean;
  /** More model folders to serve: mount path ('/models/x/') → folder on disk, as /models/tiny/ is. */
  models?: Readonly<Record<string, string>>;
}

/** Drops the isolation headers vite.config.ts sets: the config hook may edit the merged config in place. */
const notIsolated: Plugin = {
  name: 'm3search:not-isolated',
  config(config) {
    if (config.server) config.server.headers = {};
  },
};

export async function startServer(opts: ServerOptions = {}): Promise<Server> {
  const plugins = Object.entries(opts.models ?? {}).map(([mount, dir]) => serveModelFolder(mount, () => Promise.resolve(dir)));
  if (opts.isolate === false) plugins.push(notIsolated);
  const server: ViteDevServer = await createServer({
    configFile: path.join(ROOT, 'vite.config.ts'),
    root: ROOT,
    logLevel: 'error',
    clearScreen: false,
    server: { port: 0, host: 'localhost', strictPort: false, hmr: false, watch: null },
    plugins,
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('vite did not report a port');
  return { url: `http://localhost:${address.port}`, close: () => server.close() };
}

export function launch(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...BASE_ARGS, ...extraArgs] });
}

export interface Persistent {
  context: BrowserContext;
  /** The profile directory (also how the browser's processes can be found: its --user-data-dir). */
  readonly dir: string;
  /** Closes the browser; the profile (and its IndexedDB) stays until `dispose`. */
  close(): Promise<void>;
  /** Starts the browser again on the same profile (a "next visit"). */
  reopen(): Promise<BrowserContext>;
  dispose(): Promise<void>;
}

/** A browser with its own fresh profile directory, which survives restarts until disposed. */
export async function launchPersistent(extraArgs: string[] = []): Promise<Persistent> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'm3search-e2e-'));
  const start = () => chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, args: [...BASE_ARGS, ...extraArgs] });
  const handle: Persistent = {
    context: await start(),
    dir,
    close: () => handle.context.close(),
    async reopen() {
      handle.context = await start();
      return handle.context;
    },
    async dispose() {
      await handle.context.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return handle;
}

/** Opens the harness page (window.m3 = the browser entry) and waits for it; page errors fail loudly. */
export async function openHarness(pageOrContext: Page | BrowserContext | Browser, server: Server): Promise<Page> {
  const page = 'goto' in pageOrContext ? pageOrContext : await pageOrContext.newPage();
  // Transpilers that keep function names (tsx/esbuild) wrap functions in __name(); evaluate() ships them as source.
  await page.addInitScript('globalThis.__name = (f) => f;');
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) console.error(`[http ${r.status()}]`, r.url());
  });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') console.error(`[browser ${m.type()}]`, m.text());
  });
  await page.goto(`${server.url}/test/e2e/harness.html`);
  await page.waitForFunction(() => window.m3ready === true, undefined, { timeout: 60_000 });
  return page;
}

/** The sample corpus (public/sample-corpus.jsonl), optionally only the first `n` passages. */
export async function sampleCorpus(n?: number): Promise<Doc[]> {
  const text = await readFile(path.join(ROOT, 'public', 'sample-corpus.jsonl'), 'utf8');
  const docs = text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const { id, title, text: body, url, lang } = JSON.parse(l) as Record<string, string>;
      const d: Doc = { id: String(id), text: String(body) };
      if (title) d.title = title;
      if (url) d.url = url;
      if (lang) d.meta = { lang };
      return d;
    });
  return n === undefined ? docs : docs.slice(0, n);
}
