// The static-site session inside the worker, driven directly (fetch served
// from a built index folder, IndexedDB from fake-indexeddb, ONNX Runtime from
// onnxruntime-node): statuses in order, keyword answers at once, hybrid once
// the index's own model has loaded, and typed errors that name the file.
import 'fake-indexeddb/auto';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as ortNode from 'onnxruntime-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isM3SearchError, type M3SearchError } from '../../src/core/errors.js';
import type { OrtLoader, WebOrt } from '../../src/browser/backend.js';
import type { SiteOpenOptions, SiteStatus } from '../../src/browser/protocol.js';
import { SiteSession } from '../../src/browser/site-session.js';
import { getPreset } from '../../src/model/presets.js';
import { testModel } from '../helpers/test-model.js';
import { ROOT } from '../e2e/support.js';

const ORIGIN = 'http://site.test';
const INDEX = `${ORIGIN}/m3search/`;

const page = (title: string, sections: [string, string, string][]): string =>
  `<html><head><title>${title}</title></head><body><main><h1>${title}</h1>${sections
    .map(([id, h, p]) => `<section id="${id}"><h2>${h}</h2><p>${p}</p></section>`)
    .join('')}</main></body></html>`;

/** onnxruntime-node standing in for onnxruntime-web: same API, CPU instead of the 'wasm' provider. */
const loadOrt: OrtLoader = async () => {
  const ort = ortNode as unknown as WebOrt;
  const create = ortNode.InferenceSession.create.bind(ortNode.InferenceSession) as (...a: unknown[]) => Promise<unknown>;
  const InferenceSession = { ...ortNode.InferenceSession, create: (model: unknown, opts?: object) => create(model, { ...opts, executionProviders: ['cpu'] }) };
  return { ort: { ...ort, InferenceSession } as unknown as WebOrt };
};

async function rejection(p: Promise<unknown>): Promise<M3SearchError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  if (!isM3SearchError(e)) throw new Error(`expected an M3SearchError, got ${String(e)}`);
  return e;
}

describe('SiteSession (the static-site half of the worker)', () => {
  let dir: string;
  let site: string;
  let models: Record<string, string>;
  /** Per-URL overrides of what the fake network answers. */
  const answers = new Map<string, () => Response>();
  const fetched: string[] = [];
  const realFetch = globalThis.fetch;

  beforeAll(async () => {
    models = (await testModel()).layouts;
    dir = await mkdtemp(path.join(os.tmpdir(), 'm3search-site-session-'));
    site = path.join(dir, 'site');
    await mkdir(path.join(site, 'guide'), { recursive: true });
    await writeFile(path.join(site, 'index.html'), page('Home', [['welcome', 'Welcome', 'Start here with the tutorial and the guide.']]));
    await writeFile(path.join(site, 'guide', 'config.html'), page('Configuration', [
      ['timeouts', 'Timeouts', 'Set the request timeout in seconds for slow servers.'],
      ['cache', 'Cache', 'The cache keeps compiled templates on disk between runs.'],
    ]));
    await promisify(execFile)(process.execPath, [path.join(ROOT, 'bin', 'm3search.mjs'), 'index', site, '--out', path.join(site, 'm3search'), '--model', models['heads-in-graph']!, '--copy-model', '--quiet'], { cwd: ROOT });
    globalThis.fetch = (async (input: RequestInfo | URL) => {
      const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
      fetched.push(url.href);
      const override = answers.get(url.href);
      if (override) return override();
      if (url.origin !== ORIGIN) return new Response('not found', { status: 404 });
      // /mirror/ serves the same index under another URL: one with no offline copy yet.
      const file = decodeURIComponent(url.pathname).replace(/^\/mirror\d*\//, '/m3search/');
      const bytes = await readFile(path.join(site, file)).catch(() => undefined);
      return bytes ? new Response(bytes) : new Response('not found', { status: 404 });
    }) as typeof fetch;
  }, 180_000);

  afterEach(() => {
    answers.clear();
    fetched.length = 0;
  });

  afterAll(async () => {
    globalThis.fetch = realFetch;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Opens a session; statuses are collected, and `until(kind)` waits for one (no sleeps). */
  async function open(options: Partial<SiteOpenOptions> = {}) {
    const statuses: SiteStatus[] = [];
    const waiters: { kind: SiteStatus['kind']; resolve: (s: SiteStatus) => void }[] = [];
    const onStatus = (s: SiteStatus) => {
      statuses.push(s);
      for (const w of waiters.filter((w) => w.kind === s.kind)) w.resolve(s);
    };
    const until = <K extends SiteStatus['kind']>(kind: K): Promise<Extract<SiteStatus, { kind: K }>> => {
      const seen = statuses.find((s) => s.kind === kind);
      if (seen) return Promise.resolve(seen as Extract<SiteStatus, { kind: K }>);
      return new Promise((resolve) => waiters.push({ kind, resolve: resolve as (s: SiteStatus) => void }));
    };
    const opened = await SiteSession.open(loadOrt, { index: INDEX, backend: 'wasm', ...options }, onStatus);
    return { ...opened, statuses, until };
  }

  it('answers by keywords at once, hybrid once the copied model has loaded, and saves the offline copy', async () => {
    const { session, report, statuses, until } = await open();
    expect(report).toMatchObject({ source: 'network', siteRoot: `${ORIGIN}/`, hasModel: true });
    expect(statuses.slice(0, 2).map((s) => s.kind)).toEqual(['index', 'keyword-ready']);
    const keyword = await session.search('request timeout', { k: 3 }, new AbortController().signal);
    expect(keyword.mode).toBe('keyword');
    expect(keyword.hits[0]?.url).toBe('guide/config.html#timeouts');

    expect(await until('hybrid-ready')).toMatchObject({ backend: 'wasm' });
    const hybrid = await session.search('request timeout', { k: 3 }, new AbortController().signal);
    expect(hybrid.mode).toBe('hybrid');
    expect(hybrid.hits.length).toBeGreaterThan(0);
    expect(await until('offline-saved')).toMatchObject({ build: report.build });
    await session.close();
  }, 60_000);

  it("modelLoad 'on-request': the model is offered with its size and downloads only when asked", async () => {
    const { session, statuses, until } = await open({ modelLoad: 'on-request' });
    const manifest = JSON.parse(await readFile(path.join(site, 'm3search', 'manifest.json'), 'utf8')) as { model: { bytes: number } };
    expect(manifest.model.bytes).toBeGreaterThan(100_000); // the copied model plus ONNX Runtime's WASM build
    expect(await until('model-available')).toMatchObject({ url: `${INDEX}model/`, bytes: manifest.model.bytes });
    expect((await session.search('request timeout', { k: 3 }, new AbortController().signal)).mode).toBe('keyword');
    await new Promise((r) => setTimeout(r, 800)); // past the point where 'auto' would have started
    expect(statuses.some((s) => s.kind === 'model-loading')).toBe(false);
    session.requestModel();
    session.requestModel(); // once only
    expect(await until('model-loading')).toMatchObject({ bytes: manifest.model.bytes });
    expect(await until('hybrid-ready')).toMatchObject({ backend: 'wasm' });
    expect(statuses.filter((s) => s.kind === 'model-loading')).toHaveLength(1);
    expect((await session.search('request timeout', { k: 3 }, new AbortController().signal)).mode).toBe('hybrid');
    await session.close();
  }, 60_000);

  it('a model other than the index’s reports MODEL_MISMATCH and keeps keyword search', async () => {
    const other = `${ORIGIN}/other-model/`;
    const dirOf = models['splade']!;
    // Serve the other layout's folder at /other-model/.
    for (const f of ['m3search.json', 'config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model_quantized.onnx', 'onnx/model.onnx', 'sparse_linear.safetensors', 'colbert_linear.safetensors']) {
      const bytes = await readFile(path.join(dirOf, f)).catch(() => undefined);
      answers.set(other + f, () => (bytes ? new Response(bytes) : new Response('not found', { status: 404 })));
    }
    const { session, until } = await open({ model: other });
    const error = await until('error');
    expect(error).toMatchObject({ where: 'model', code: 'MODEL_MISMATCH' });
    expect(error.message).toContain(other);
    expect((await session.search('cache', {}, new AbortController().signal)).mode).toBe('keyword');
    await session.close();
  }, 60_000);

  it("a page's preset: the hub folder when the index has no copy (recorded conventions still win); an unknown name is a model error, keyword goes on", async () => {
    // The same pages indexed without --copy-model: the page must say where the model is.
    await promisify(execFile)(process.execPath, [path.join(ROOT, 'bin', 'm3search.mjs'), 'index', site, '--out', path.join(site, 'm3search-nocopy'), '--model', models['heads-in-graph']!, '--quiet'], { cwd: ROOT });
    const index = `${ORIGIN}/m3search-nocopy/`;
    const hub = getPreset('multilingual-e5-small').url;
    // The "hub" is answered by the fake network with the index's own model files: nothing leaves the machine.
    for (const f of ['m3search.json', 'config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model_quantized.onnx', 'onnx/model.onnx']) {
      const bytes = await readFile(path.join(models['heads-in-graph']!, f)).catch(() => undefined);
      answers.set(hub + f, () => (bytes ? new Response(bytes) : new Response('not found', { status: 404 })));
    }
    const withPreset = await open({ index, preset: 'multilingual-e5-small', modelLoad: 'on-request' });
    expect(withPreset.report.hasModel).toBe(true);
    expect(await withPreset.until('model-available')).toEqual({ kind: 'model-available', url: hub });
    withPreset.session.requestModel();
    // The index recorded BGE-M3's conventions: they win over the preset's, so the fingerprint matches.
    expect(await withPreset.until('hybrid-ready')).toMatchObject({ backend: 'wasm' });
    expect(fetched).toContain(`${hub}tokenizer.json`);
    await withPreset.session.close();

    const without = await open({ index, modelLoad: 'on-request' });
    expect(without.report.hasModel).toBe(false);
    await without.session.close();

    const bad = await open({ index: INDEX, preset: 'e5-tiny' });
    const error = await bad.until('error');
    expect(error).toMatchObject({ where: 'model', code: 'INVALID_OPTION' });
    expect(error.message).toContain('Unknown model preset "e5-tiny"');
    expect(error.message).toContain('multilingual-e5-small');
    expect(bad.report.hasModel).toBe(false);
    expect((await bad.session.search('request timeout', { k: 3 }, new AbortController().signal)).hits[0]?.url).toBe('guide/config.html#timeouts');
    await bad.session.close();
  }, 120_000);

  it('a missing manifest (and no offline copy) is INVALID_INDEX naming the file', async () => {
    const index = `${ORIGIN}/nowhere/`;
    const e = await rejection(open({ index }));
    expect(e.code).toBe('INVALID_INDEX');
    expect(e.details).toMatchObject({ file: `${index}manifest.json` });
    expect(e.message).toContain(`${index}manifest.json`);
    expect(e.message).toContain('HTTP 404');
  });

  it('a manifest that is not JSON, or not a site manifest, is INVALID_INDEX naming the file', async () => {
    const index = `${ORIGIN}/broken/`;
    answers.set(`${index}manifest.json`, () => new Response('<html>oops</html>'));
    const notJson = await rejection(open({ index }));
    expect(notJson).toMatchObject({ code: 'INVALID_INDEX', details: { file: `${index}manifest.json` } });
    expect(notJson.message).toMatch(/manifest\.json is not valid JSON/);

    answers.set(`${index}manifest.json`, () => new Response('{"format":"something-else"}'));
    const foreign = await rejection(open({ index }));
    expect(foreign.code).toBe('INVALID_INDEX');
    expect(foreign.message).toMatch(/manifest\.json is not an m3search site manifest/);
  });

  it('a shard that cannot be fetched fails the query with INVALID_INDEX naming the shard', async () => {
    const index = `${ORIGIN}/mirror/`; // no offline copy of it to fall back on
    const { session } = await open({ index, model: 'none' });
    const manifest = JSON.parse(await readFile(path.join(site, 'm3search', 'manifest.json'), 'utf8')) as { shards: { keyword: { files: { file: string }[] } } };
    for (const f of manifest.shards.keyword.files.map((x) => x.file)) answers.set(new URL(f, index).href, () => new Response('gone', { status: 500 }));
    const e = await rejection(session.search('request timeout', {}, new AbortController().signal));
    expect(e.code).toBe('INVALID_INDEX');
    expect(e.message).toMatch(/mirror\/shards\/kw-\d+\.[0-9a-f]+\.bin: HTTP 500/);
    await session.close();
  });

  it('multi-vector shards: an unreachable network ranks without them; an HTTP error is INVALID_INDEX naming the shard', async () => {
    const m = JSON.parse(await readFile(path.join(site, 'm3search', 'manifest.json'), 'utf8')) as { shards: { multi: { table: { file: string } } } };
    const table = m.shards.multi.table.file;
    const shards = (JSON.parse(await readFile(path.join(site, 'm3search', table), 'utf8')) as { file: string }[]).map((f) => f.file);
    const clean = await open();
    await clean.until('hybrid-ready');
    const want = await clean.session.search('request timeout', { k: 3 }, new AbortController().signal);
    expect(want.hits[0]!.signals.multi).toBeDefined();
    await clean.session.close();

    for (const f of shards) answers.set(new URL(f, INDEX).href, () => new Response('oops', { status: 500 }));
    const broken = await open();
    await broken.until('hybrid-ready');
    const e = await rejection(broken.session.search('request timeout', { k: 3 }, new AbortController().signal));
    expect(e).toMatchObject({ code: 'INVALID_INDEX', details: { reason: 'http', status: 500 } });
    expect(e.message).toMatch(/shards\/multi-\d+\.[0-9a-f]{10}\.bin: HTTP 500/);
    await broken.session.close();

    for (const f of shards) answers.set(new URL(f, INDEX).href, () => { throw new TypeError('Failed to fetch'); });
    const offline = await open();
    await offline.until('hybrid-ready');
    const got = await offline.session.search('request timeout', { k: 3 }, new AbortController().signal);
    expect(got.mode).toBe('hybrid');
    expect(got.hits.length).toBeGreaterThan(0);
    expect(got.hits.every((h) => h.signals.multi === undefined)).toBe(true);
    await offline.session.close();
  }, 60_000);

  it('a stored shard whose bytes no longer hash to its name is fetched again and repaired; offline it is INVALID_INDEX naming it', async () => {
    const first = await open({ model: 'none' });
    await first.until('offline-saved');
    await first.session.close();
    const m = JSON.parse(await readFile(path.join(site, 'm3search', 'manifest.json'), 'utf8')) as { shards: { keyword: { files: { file: string }[] } } };
    const { openDB } = await import('idb');
    const db = await openDB('m3search-site');
    const damage = async () => {
      for (const f of m.shards.keyword.files.map((x) => x.file)) {
        const b = new Uint8Array((await db.get('files', `${INDEX}\n${f}`)) as ArrayBuffer);
        b[b.length - 5] ^= 0x01;
        await db.put('files', b.buffer, `${INDEX}\n${f}`);
      }
    };
    const clean = await open({ model: 'none' });
    const want = (await clean.session.search('request timeout', { k: 3 }, new AbortController().signal)).hits;
    await clean.session.close();
    await damage();
    fetched.length = 0;
    const again = await open({ model: 'none' });
    expect(again.report.source).toBe('network');
    expect((await again.session.search('request timeout', { k: 3 }, new AbortController().signal)).hits).toEqual(want);
    // The damaged keyword shards came from the network, and the copy holds the good bytes again.
    expect(fetched.some((u) => /\/shards\/kw-/.test(u))).toBe(true);
    for (const f of m.shards.keyword.files.map((x) => x.file)) {
      const stored = new Uint8Array((await db.get('files', `${INDEX}\n${f}`)) as ArrayBuffer);
      expect(Buffer.from(stored).equals(await readFile(path.join(site, 'm3search', f)))).toBe(true);
    }
    await again.session.close();

    await damage();
    const down = () => { throw new TypeError('Failed to fetch'); };
    for (const f of ['manifest.json', ...m.shards.keyword.files.map((x) => x.file)]) answers.set(new URL(f, INDEX).href, down);
    const offline = await open({ model: 'none' });
    expect(offline.report.source).toBe('offline-copy');
    const e = await rejection(offline.session.search('request timeout', { k: 3 }, new AbortController().signal));
    expect(e).toMatchObject({ code: 'INVALID_INDEX', details: { reason: 'hash' } });
    expect(e.message).toMatch(/offline copy of .*shards\/kw-\d+\.[0-9a-f]{10}\.bin is corrupt/);
    await offline.session.close();
    db.close();
  }, 60_000);

  it('a cancelled query rejects with ABORTED', async () => {
    const { session } = await open({ model: 'none' });
    const ctl = new AbortController();
    ctl.abort();
    expect((await rejection(session.search('cache', {}, ctl.signal))).code).toBe('ABORTED');
    await session.close();
  });

  it('keeps no fetched bytes once the offline copy is saved', async () => {
    const index = `${ORIGIN}/mirror2/`; // no offline copy of it yet
    const { session, until } = await open({ index });
    // White-box: the bytes the session holds for the offline copy (a ByteLru).
    const held = (): { size: number; bytes: number } => (session as unknown as { fetched: { size: number; bytes: number } }).fetched;
    const signal = new AbortController().signal;
    await session.search('request timeout', { k: 3 }, signal);
    await until('hybrid-ready');
    await session.search('compiled templates on disk', { k: 3 }, signal);
    await until('offline-saved');
    expect(held().size).toBe(0);
    // Queries after the save keep nothing either.
    await session.search('slow servers between runs', { k: 3 }, signal);
    expect(held().size).toBe(0);
    await session.close();
  }, 60_000);
});
