// A model URL that points nowhere is "not found" (with the URL), whether the
// server says 404 or answers with its index.html fallback; a file that is there
// but broken is "malformed". Both are MODEL_FILES with details.reason.
import { describe, expect, it } from 'vitest';
import { loadEncoder } from '../../src/model/load.js';
import type { OrtRuntime } from '../../src/model/encoder.js';
import { ByteSink, urlSource } from '../../src/model/source.js';

const BASE = 'http://localhost:5173/nope/';
const INDEX_HTML = '<!doctype html>\n<html lang="en"><head><title>m3search</title></head></html>';
// loadEncoder fails on the files before it touches ONNX Runtime.
const ort = {} as OrtRuntime;

function server(files: Record<string, { body: string; type: string; status?: number }>, fallback: 'html' | '404'): typeof fetch {
  return async (input) => {
    const file = files[new URL(String(input)).pathname.slice('/nope/'.length)];
    if (file) return new Response(file.body, { status: file.status ?? 200, headers: { 'content-type': file.type } });
    return fallback === 'html' ? new Response(INDEX_HTML, { headers: { 'content-type': 'text/html' } }) : new Response('nope', { status: 404 });
  };
}

describe('urlSource errors', () => {
  it('reports a folder the server answers with index.html as not found, naming the URL', async () => {
    const source = urlSource(BASE, { cacheName: false, fetch: server({}, 'html') });
    const err = await loadEncoder(source, { ort }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MODEL_FILES', details: { reason: 'not-found', url: `${BASE}tokenizer.json`, location: BASE } });
    expect((err as Error).message).toContain(`The model folder ${BASE} was not found`);
    expect((err as Error).message).toContain('HTML page');
    expect((err as Error).message).not.toMatch(/not valid JSON/);
  });

  it('says HTTP 404 when the server says so', async () => {
    const source = urlSource(BASE, { cacheName: false, fetch: server({}, '404') });
    await expect(loadEncoder(source, { ort })).rejects.toMatchObject({ code: 'MODEL_FILES', message: expect.stringContaining('(HTTP 404)'), details: { reason: 'not-found' } });
  });

  it('treats an HTML page without a content type (e.g. a cached fallback) as missing, not as the file', async () => {
    const source = urlSource(BASE, { cacheName: false, fetch: async () => new Response(INDEX_HTML) });
    expect(await source.read('m3search.json')).toBeUndefined();
    expect(source.whyMissing?.('m3search.json')).toMatch(/HTML page/);
  });

  it('reports a file that is there but broken as malformed, naming its URL', async () => {
    const source = urlSource(BASE, { cacheName: false, fetch: server({ 'tokenizer.json': { body: '{ broken', type: 'application/json' } }, 'html') });
    const err = await loadEncoder(source, { ort }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MODEL_FILES', details: { reason: 'malformed', url: `${BASE}tokenizer.json` } });
    expect((err as Error).message).toContain(`${BASE}tokenizer.json is not valid JSON`);
  });
});

/** A response streaming `chunks` with the given Content-Length header (or none). */
function streamed(chunks: Uint8Array[], length: number | undefined): Response {
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const x of chunks) c.enqueue(x);
      c.close();
    },
  });
  return new Response(body, { headers: length === undefined ? {} : { 'content-length': String(length) } });
}

describe('urlSource downloads', () => {
  const chunks = [Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5), Uint8Array.of(6, 7, 8, 9)];
  const all = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);

  // Right length: one array; a compressed transfer's smaller length, a bigger one and none still give the exact bytes.
  it.each([
    ['the right length', 9],
    ['a length smaller than the body (a compressed transfer)', 4],
    ['a length larger than the body', 20],
    ['no length', undefined],
  ])('reads a streamed file with %s into exactly its bytes, reporting progress per chunk', async (_, length) => {
    const progress: { loaded: number; total?: number }[] = [];
    const source = urlSource(BASE, { cacheName: false, fetch: async () => streamed(chunks, length) });
    const bytes = await source.read('model.onnx', { onProgress: (p) => progress.push({ loaded: p.loaded, total: p.total }) });
    expect(bytes).toEqual(all);
    expect(bytes!.buffer.byteLength).toBe(9);
    expect(progress).toEqual([3, 5, 9].map((loaded) => ({ loaded, total: length })));
  });

  it('fills one array of the announced size without copying it again', async () => {
    const source = urlSource(BASE, { cacheName: false, fetch: async () => streamed(chunks, 9) });
    const bytes = (await source.read('model.onnx'))!;
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(9);
  });
});

describe('ByteSink', () => {
  it('switches to collecting chunks when the data outgrows the announced size, keeping what it had', () => {
    const sink = new ByteSink(4);
    sink.push(Uint8Array.of(1, 2, 3));
    sink.push(Uint8Array.of(4, 5));
    sink.push(Uint8Array.of(6));
    expect(sink.loaded).toBe(6);
    expect(sink.bytes()).toEqual(Uint8Array.of(1, 2, 3, 4, 5, 6));
  });

  it('returns the announced array itself when it is filled exactly, and a trimmed copy when it is not', () => {
    const exact = new ByteSink(3);
    const chunk = Uint8Array.of(7, 8, 9);
    exact.push(chunk);
    const out = exact.bytes();
    expect(out).toEqual(chunk);
    expect(out).not.toBe(chunk); // copied into the sink's own array as it arrived
    expect(out.buffer.byteLength).toBe(3);
    const short = new ByteSink(8);
    short.push(Uint8Array.of(1, 2));
    expect(short.bytes()).toEqual(Uint8Array.of(1, 2));
    expect(short.bytes().buffer.byteLength).toBe(2);
  });

  // 2 ** 52 is a safe integer that no ArrayBuffer can be: the allocation fails and the sink collects chunks instead.
  it.each([0, -1, Number.NaN, 2 ** 60, 2 ** 52])('ignores an unusable announced size (%s) and collects chunks', (size) => {
    const sink = new ByteSink(size);
    sink.push(Uint8Array.of(1));
    sink.push(Uint8Array.of(2, 3));
    expect(sink.bytes()).toEqual(Uint8Array.of(1, 2, 3));
  });
});

describe('urlSource with the Cache API', () => {
  it('stores a complete download with its length and serves the next read from it, byte for byte', async () => {
    const stored = new Map<string, Response>();
    const cache = { match: async (u: string) => stored.get(u)?.clone(), put: async (u: string, r: Response) => void stored.set(u, r) };
    const g = globalThis as { caches?: unknown };
    const before = g.caches;
    g.caches = { open: async () => cache };
    try {
      let fetches = 0;
      const source = () =>
        urlSource(BASE, {
          fetch: async () => {
            fetches++;
            return streamed([Uint8Array.of(1, 2, 3), Uint8Array.of(4)], undefined);
          },
        });
      expect(await source().read('model.onnx')).toEqual(Uint8Array.of(1, 2, 3, 4));
      const entry = stored.get(`${BASE}model.onnx`)!;
      expect(entry.headers.get('content-length')).toBe('4');
      const again = await source().read('model.onnx');
      expect(again).toEqual(Uint8Array.of(1, 2, 3, 4));
      expect(again!.buffer.byteLength).toBe(4);
      expect(fetches).toBe(1);
    } finally {
      g.caches = before;
    }
  });
});
