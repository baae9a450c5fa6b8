// The CLI's failure paths as a user meets them: a clear one-line message, a
// non-zero exit, never a stack trace; and `serve` never answers outside its
// root (issue 12).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from '../../src/site/serve.js';

const BIN = path.resolve('bin/m3search.mjs');

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** A message, not a stack: no "    at fn (file:line)" frames, no raw errno names standing alone. */
function expectNoStack(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(stderr).not.toMatch(/^Error: (ENOENT|ENOTDIR|EADDRINUSE)/m);
}

describe('m3search serve stays inside its root', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'm3s-serve-root-'));
    await mkdir(path.join(dir, 'site'));
    await mkdir(path.join(dir, 'site-pristine'));
    await writeFile(path.join(dir, 'site', 'index.html'), '<p>public</p>');
    await writeFile(path.join(dir, 'site-pristine', 'index.html'), '<p>secret</p>');
    await writeFile(path.join(dir, 'outside.txt'), 'secret');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('an encoded ../ into a sibling folder whose name starts like the root is refused', async () => {
    const server = await serveStatic(path.join(dir, 'site'));
    try {
      const get = (p: string) => fetch(server.url + p.replace(/^\//, ''));
      expect(await (await get('/index.html')).text()).toBe('<p>public</p>');
      for (const p of ['/..%2fsite-pristine/index.html', '/..%2f..%2foutside.txt', '/%2e%2e%2fsite-pristine/index.html', '/..%5csite-pristine%5cindex.html']) {
        const res = await get(p);
        const body = await res.text();
        expect(body, p).not.toContain('secret');
        expect([403, 404], p).toContain(res.status);
      }
      expect((await get('/..%2fsite-pristine/index.html')).status).toBe(403);
      expect((await get('/%E0%A4%A')).status).toBe(400); // malformed escape: a client error, not a 500
    } finally {
      await server.close();
    }
  });

  it('serves each page with the charset it declares, so a Latin-1 page is not shown as UTF-8', async () => {
    const pages: [string, Uint8Array, string][] = [
      ['latin1.html', Uint8Array.from('<meta charset="iso-8859-1"><p>Cr\xe8me</p>', (c) => c.charCodeAt(0)), 'text/html; charset=windows-1252'],
      ['sjis.html', new TextEncoder().encode('<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS"><p>x</p>'), 'text/html; charset=shift_jis'],
      ['plain.html', new TextEncoder().encode('<p>é</p>'), 'text/html; charset=utf-8'],
      ['wide.html', new Uint8Array(Buffer.from('\ufeff<p>x</p>', 'utf16le')), 'text/html; charset=utf-16le'],
    ];
    for (const [name, bytes] of pages) await writeFile(path.join(dir, 'site', name), bytes);
    const server = await serveStatic(path.join(dir, 'site'));
    try {
      for (const [name, bytes, type] of pages) {
        const res = await fetch(server.url + name);
        expect(res.headers.get('content-type'), name).toBe(type);
        expect(new Uint8Array(await res.arrayBuffer()), name).toEqual(bytes);
      }
    } finally {
      await server.close();
    }
  });

  it('sends content-hashed files immutable and validators on every file: a revisit costs a 304, a changed file comes in full', async () => {
    await mkdir(path.join(dir, 'site', 'm3search', 'shards'), { recursive: true });
    const files: [string, string][] = [
      // Named by their content: kept without revalidation.
      ['m3search/shards/dense-0.0123456789.bin', 'public, max-age=31536000, immutable'],
      ['m3search/shards/multi-table.abcdef0123.json', 'public, max-age=31536000, immutable'],
      ['m3search/m3search-site-session-Y2bmg3r5.js', 'public, max-age=31536000, immutable'],
      ['m3search/m3search-ort.webgpu.min-B_d4g1xs.js', 'public, max-age=31536000, immutable'],
      // Same name across builds: revalidated.
      ['m3search/manifest.json', 'no-cache'],
      ['m3search/m3search.js', 'no-cache'],
      ['m3search/m3search-worker.js', 'no-cache'],
      ['m3search/shards/dense-0.bin', 'no-cache'],
      ['m3search/model/tokenizer.json', 'no-cache'],
      ['m3search/ort-wasm-simd-threaded.asyncify.mjs', 'no-cache'],
    ];
    await mkdir(path.join(dir, 'site', 'm3search', 'model'), { recursive: true });
    for (const [f] of files) await writeFile(path.join(dir, 'site', f), new Uint8Array(8));
    await writeFile(path.join(dir, 'site', 'm3search', 'ort-wasm-simd-threaded.wasm'), new Uint8Array(64));
    const server = await serveStatic(path.join(dir, 'site'));
    try {
      for (const [f, cacheControl] of files) {
        const res = await fetch(server.url + f);
        expect(res.headers.get('cache-control'), f).toBe(cacheControl);
        expect(res.headers.get('last-modified'), f).toBeTruthy();
        expect((await fetch(server.url + f, { headers: { 'if-none-match': res.headers.get('etag')! } })).status, f).toBe(304);
      }
      const wasm = await fetch(server.url + 'm3search/ort-wasm-simd-threaded.wasm');
      expect(wasm.headers.get('cache-control')).toBe('no-cache');
      const etag = wasm.headers.get('etag')!;
      const modified = wasm.headers.get('last-modified')!;
      expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
      expect((await wasm.arrayBuffer()).byteLength).toBe(64);
      const again = await fetch(server.url + 'm3search/ort-wasm-simd-threaded.wasm', { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
      expect((await again.arrayBuffer()).byteLength).toBe(0);
      expect((await fetch(server.url + 'm3search/ort-wasm-simd-threaded.wasm', { headers: { 'if-modified-since': modified } })).status).toBe(304);
      // A changed file is sent again in full.
      await writeFile(path.join(dir, 'site', 'm3search', 'ort-wasm-simd-threaded.wasm'), new Uint8Array(65));
      const changed = await fetch(server.url + 'm3search/ort-wasm-simd-threaded.wasm', { headers: { 'if-none-match': etag } });
      expect(changed.status).toBe(200);
      expect((await changed.arrayBuffer()).byteLength).toBe(65);
    } finally {
      await server.close();
    }
  });

  it('a port in use is a message and exit 2, not an unhandled EADDRINUSE', async () => {
    const busy = await serveStatic(path.join(dir, 'site'));
    try {
      const { code, stderr } = await cli(['serve', path.join(dir, 'site'), '--port', String(busy.port)]);
      expect(code).toBe(2);
      expect(stderr).toContain(`Port ${busy.port} on 127.0.0.1 is already in use`);
      expectNoStack(stderr);
    } finally {
      await busy.close();
    }
  });

  it('serving a folder that does not exist fails at once', async () => {
    const { code, stderr } = await cli(['serve', path.join(dir, 'nope'), '--port', '0']);
    expect(code).toBe(2);
    expect(stderr).toContain('does not exist');
  });
});

// Independent CLI runs (each starts a process): concurrently.
describe.concurrent('m3search index / query on the wrong input', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'm3s-cli-errors-'));
    await mkdir(path.join(dir, 'empty'));
    await writeFile(path.join(dir, 'empty', 'notes.txt'), 'no html here');
    await writeFile(path.join(dir, 'corpus.jsonl'), '{"id":"a","text":"hello"}\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('index on a missing folder names it (no raw ENOENT)', async () => {
    const missing = path.join(dir, 'missing');
    const { code, stderr } = await cli(['index', missing]);
    expect(code).toBe(2);
    expect(stderr).toContain(`The site folder ${missing} does not exist`);
    expectNoStack(stderr);
  });

  it('index on a file says it is a file, with a hint for a JSONL corpus (no raw ENOTDIR)', async () => {
    const { code, stderr } = await cli(['index', path.join(dir, 'corpus.jsonl')]);
    expect(code).toBe(2);
    expect(stderr).toContain('is a file, not a site folder');
    expect(stderr).toContain('--docs');
    expectNoStack(stderr);
  });

  it('index on a folder with no HTML fails instead of "indexed 0 pages"', async () => {
    const { code, stderr } = await cli(['index', path.join(dir, 'empty')]);
    expect(code).toBe(2);
    expect(stderr).toContain('holds no .html pages');
    expect(stderr).not.toContain('indexed 0 pages');
  });

  it('query "" is EMPTY_QUERY with exit 2', async () => {
    const { code, stderr, stdout } = await cli(['query', path.join(dir, 'empty'), '']);
    expect(code).toBe(2);
    expect(stderr).toContain('EMPTY_QUERY');
    expect(stdout).toBe('');
  });

  it('query pointed at a JSONL file says what to run instead', async () => {
    const file = path.join(dir, 'corpus.jsonl');
    const { code, stderr } = await cli(['query', file, '--mode', 'keyword', 'hello']);
    expect(code).toBe(1);
    expect(stderr).toContain(`INVALID_INDEX: ${file} is a file`);
    expect(stderr).toContain('m3search search --docs');
    expectNoStack(stderr);
  });
});
