// A model URL that points nowhere is "not found" (with the URL), whether the
// server says 404 or answers with its index.html fallback; a file that is there
// but broken is "malformed". Both are MODEL_FILES with details.reason.
import { describe, expect, it } from 'vitest';
import { loadEncoder } from '../../src/model/load.js';
import type { OrtRuntime } from '../../src/model/encoder.js';
import { urlSource } from '../../src/model/source.js';

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
