// ONNX external data (issue #15): a graph whose weights sit in a side file
// (BGE-M3's hub folder: onnx/model.onnx + onnx/model.onnx_data) loads from a
// folder and from a URL, encodes exactly as the same weights inline, names the
// side file when it is missing, and never reads outside the model folder.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { externalize } from '../../scripts/test-model/external.js';
import { EXTERNAL_OF } from '../../scripts/test-model/index.js';
import type { M3Encoder, OrtRuntime } from '../../src/model/encoder.js';
import { loadEncoder } from '../../src/model/load.js';
import { externalDataLocations, externalDataPath } from '../../src/model/onnx-external.js';
import { urlSource, type FileProgress } from '../../src/model/source.js';
import { fsSource } from '../../src/node/fs-source.js';
import { loadModel } from '../../src/node/load-model.js';
import { testModel } from '../helpers/test-model.js';

const TEXTS = ['Service workers intercept requests.', 'Paris is the capital and the largest city of France, on the river Seine.', '日本語のテキスト 한국어 텍스트'];
const QUERY = 'where is the river Seine';

let tmp: string;
let inlineDir: string;
let externalDir: string;
let inline: M3Encoder;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'm3s-ext-'));
  const model = await testModel();
  inlineDir = model.layouts[EXTERNAL_OF];
  externalDir = model.externalData;
  inline = await loadModel(inlineDir, { dtype: 'fp32' });
});
afterAll(async () => {
  await inline?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

/** A copy of the external-data folder. */
function copyExternal(): string {
  const dir = mkdtempSync(path.join(tmp, 'ext-'));
  cpSync(externalDir, dir, { recursive: true });
  return dir;
}

/** Every output of `a` and `b` for the texts, as queries and as passages, is bit-identical. */
async function expectSameEncodings(a: M3Encoder, b: M3Encoder): Promise<void> {
  for (const kind of ['passage', 'query'] as const) {
    const [x, y] = await Promise.all([a.encode([...TEXTS, QUERY], { kind }), b.encode([...TEXTS, QUERY], { kind })]);
    x.forEach((e, i) => {
      const f = y[i]!;
      expect([...f.dense]).toEqual([...e.dense]);
      expect([...f.sparse.ids]).toEqual([...e.sparse.ids]);
      expect([...f.sparse.weights]).toEqual([...e.sparse.weights]);
      expect(f.multi.dim).toBe(e.multi.dim);
      expect([...f.multi.data]).toEqual([...e.multi.data]);
    });
  }
}

describe('the generated external-data variant', () => {
  it('keeps its weights out of the graph: the graph names one side file, the inline graph none', () => {
    const graph = readFileSync(path.join(externalDir, 'onnx', 'model.onnx'));
    const data = statSync(path.join(externalDir, 'onnx', 'model.onnx_data')).size;
    const whole = statSync(path.join(inlineDir, 'onnx', 'model.onnx')).size;
    expect(externalDataLocations(graph)).toEqual(['model.onnx_data']);
    expect(externalDataLocations(readFileSync(path.join(inlineDir, 'onnx', 'model.onnx')))).toEqual([]);
    // Nearly all of the model's bytes moved out.
    expect(data).toBeGreaterThan(0.95 * whole);
    expect(graph.length).toBeLessThan(0.05 * whole);
  });

  it('without the side file, ONNX Runtime itself refuses the graph (what the loader has to supply)', async () => {
    await expect(ort.InferenceSession.create(readFileSync(path.join(externalDir, 'onnx', 'model.onnx')))).rejects.toThrow(/external data/i);
  });
});

describe('loading a model with external data', () => {
  it('a folder: encodes bit-identically to the same weights inline, and says which file held them', async () => {
    const enc = await loadModel(externalDir);
    try {
      expect(enc.info.onnxFile).toBe('onnx/model.onnx');
      expect(enc.info.externalData).toEqual(['onnx/model.onnx_data']);
      expect(inline.info.externalData).toBeUndefined();
      await expectSameEncodings(inline, enc);
    } finally {
      await enc.dispose();
    }
  });

  it('a folder: ONNX Runtime gets the graph\'s path, never the weights as bytes, and the fingerprint is the one the bytes give', async () => {
    const created: unknown[] = [];
    const spy = {
      Tensor: ort.Tensor,
      InferenceSession: {
        create: (model: Uint8Array | string, o?: ort.InferenceSession.SessionOptions) => {
          created.push({ model, externalData: (o as { externalData?: unknown } | undefined)?.externalData });
          return typeof model === 'string' ? ort.InferenceSession.create(model, o) : ort.InferenceSession.create(model, o);
        },
      },
    } as unknown as OrtRuntime;
    const fromFolder = await loadEncoder(fsSource(externalDir), { ort: spy });
    // The same files read as bytes (a source without local paths): the fingerprint must not change.
    const folder = fsSource(externalDir);
    const fromBytes = await loadEncoder({ location: folder.location, read: (n, o) => folder.read(n, o) }, { ort: spy });
    try {
      expect(created[0]).toEqual({ model: path.join(externalDir, 'onnx', 'model.onnx'), externalData: undefined });
      expect(typeof (created[1] as { model: unknown }).model).not.toBe('string');
      expect(fromFolder.info.fingerprint).toBe(fromBytes.info.fingerprint);
      expect(fromFolder.info.externalData).toEqual(['onnx/model.onnx_data']);
      await expectSameEncodings(fromBytes, fromFolder);
    } finally {
      await Promise.all([fromFolder.dispose(), fromBytes.dispose()]);
    }
  });

  it('finds the side file by the name the graph gives it, not by guessing (any name, in a subfolder)', async () => {
    const dir = copyExternal();
    const split = externalize(readFileSync(path.join(inlineDir, 'onnx', 'model.onnx')), { location: 'weights/tiny.bin' });
    rmSync(path.join(dir, 'onnx', 'model.onnx_data'));
    writeFileSync(path.join(dir, 'onnx', 'model.onnx'), split.graph);
    mkdirSync(path.join(dir, 'onnx', 'weights'));
    writeFileSync(path.join(dir, 'onnx', 'weights', 'tiny.bin'), split.data);
    const enc = await loadModel(dir);
    try {
      expect(enc.info.externalData).toEqual(['onnx/weights/tiny.bin']);
      await expectSameEncodings(inline, enc);
    } finally {
      await enc.dispose();
    }
  });

  it('a missing side file is MODEL_FILES naming it (not-found), not an ONNX Runtime message', async () => {
    const dir = copyExternal();
    rmSync(path.join(dir, 'onnx', 'model.onnx_data'));
    const err = await loadModel(dir).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MODEL_FILES', details: { reason: 'not-found', url: path.join(dir, 'onnx', 'model.onnx_data'), location: dir } });
    expect((err as Error).message).toContain('model.onnx_data was not found');
    expect((err as Error).message).toContain('onnx/model.onnx keeps its weights in it');
  });

  it('refuses a graph whose side file would lie outside the model folder, before reading anything', async () => {
    for (const location of ['../../secret.bin', '/etc/passwd', 'a/../../b.bin', 'C:\\weights.bin', 'https://evil.example/w.bin', '%2e%2e/%2e%2e/secret.bin']) {
      const dir = copyExternal();
      writeFileSync(path.join(dir, 'onnx', 'model.onnx'), externalize(readFileSync(path.join(inlineDir, 'onnx', 'model.onnx')), { location }).graph);
      const reads: string[] = [];
      const source = fsSource(dir);
      const spy = { ...source, read: (name: string, o?: Parameters<typeof source.read>[1]) => (reads.push(name), source.read(name, o)) };
      const err = await loadEncoder(spy, { ort: ort as unknown as OrtRuntime }).catch((e: unknown) => e);
      expect(err, location).toMatchObject({ code: 'MODEL_FILES', details: { reason: 'malformed', location } });
      expect(reads.some((r) => r.includes('..') || r.includes('secret') || r.includes('passwd') || r.includes('evil')), location).toBe(false);
    }
  });

  it('the side file counts in the fingerprint: other weights under the same graph are another model', async () => {
    const dir = copyExternal();
    const file = path.join(dir, 'onnx', 'model.onnx_data');
    const bytes = readFileSync(file);
    bytes[bytes.length >> 1] ^= 0x01;
    writeFileSync(file, bytes);
    const [a, b] = [await loadModel(externalDir), await loadModel(dir)];
    try {
      expect(b.info.fingerprint).not.toBe(a.info.fingerprint);
    } finally {
      await Promise.all([a.dispose(), b.dispose()]);
    }
  });

  it('a folder read in small steps: progress for the side file up to its size, and cancelling mid-file stops the load', async () => {
    const size = statSync(path.join(externalDir, 'onnx', 'model.onnx_data')).size;
    const seen: FileProgress[] = [];
    const enc = await loadEncoder(fsSource(externalDir, { chunkBytes: 64 << 10 }), { ort: ort as unknown as OrtRuntime, onProgress: (p) => seen.push(p) });
    await enc.dispose();
    const data = seen.filter((p) => p.file === 'onnx/model.onnx_data');
    expect(data.length).toBe(Math.ceil(size / (64 << 10)));
    expect(data.map((p) => p.loaded)).toEqual([...data.map((p) => p.loaded)].sort((x, y) => x - y));
    expect(data.at(-1)).toEqual({ file: 'onnx/model.onnx_data', loaded: size, total: size });

    const stop = new AbortController();
    const progress: number[] = [];
    const err = await loadEncoder(fsSource(externalDir, { chunkBytes: 64 << 10 }), {
      ort: ort as unknown as OrtRuntime,
      signal: stop.signal,
      onProgress: (p) => {
        if (p.file !== 'onnx/model.onnx_data') return;
        progress.push(p.loaded);
        if (progress.length === 2) stop.abort();
      },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ABORTED' });
    expect(progress).toEqual([64 << 10, 128 << 10]); // no step after the abort
  });

  it('a URL: the side file is fetched beside the graph, with progress, and encodes identically', async () => {
    const base = 'http://models.example/ext/';
    const requested: string[] = [];
    const fetchFolder: typeof fetch = async (input) => {
      const rel = new URL(String(input)).pathname.slice('/ext/'.length);
      requested.push(rel);
      let body: Buffer;
      try {
        body = readFileSync(path.join(externalDir, rel));
      } catch {
        return new Response('nope', { status: 404 });
      }
      return new Response(new Uint8Array(body), { headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.length) } });
    };
    const seen: FileProgress[] = [];
    const enc = await loadEncoder(urlSource(base, { cacheName: false, fetch: fetchFolder }), { ort: ort as unknown as OrtRuntime, onProgress: (p) => seen.push(p) });
    try {
      expect(requested).toContain('onnx/model.onnx_data');
      const size = statSync(path.join(externalDir, 'onnx', 'model.onnx_data')).size;
      expect(seen.filter((p) => p.file === 'onnx/model.onnx_data').at(-1)).toEqual({ file: 'onnx/model.onnx_data', loaded: size, total: size });
      await expectSameEncodings(inline, enc);
    } finally {
      await enc.dispose();
    }
    // And a 404 on it names its URL.
    const dir = copyExternal();
    renameSync(path.join(dir, 'onnx', 'model.onnx_data'), path.join(dir, 'onnx', 'elsewhere.bin'));
    const missing: typeof fetch = async (input) => {
      const rel = new URL(String(input)).pathname.slice('/ext/'.length);
      try {
        return new Response(new Uint8Array(readFileSync(path.join(dir, rel))));
      } catch {
        return new Response('nope', { status: 404 });
      }
    };
    await expect(loadEncoder(urlSource(base, { cacheName: false, fetch: missing }), { ort: ort as unknown as OrtRuntime })).rejects.toMatchObject({
      code: 'MODEL_FILES',
      message: expect.stringContaining(`${base}onnx/model.onnx_data was not found (HTTP 404)`),
      details: { reason: 'not-found', url: `${base}onnx/model.onnx_data` },
    });
  });
});

describe('externalDataLocations', () => {
  it('bytes that are not a model name no side file (ONNX Runtime reports them)', () => {
    expect(externalDataLocations(new TextEncoder().encode('this is not a protobuf'))).toEqual([]);
    expect(externalDataLocations(new Uint8Array([0x3a, 0xff, 0xff, 0xff, 0x0f]))).toEqual([]);
  });

  it('resolves a location beside the .onnx file', () => {
    expect(externalDataPath('onnx/model.onnx', 'model.onnx_data')).toBe('onnx/model.onnx_data');
    expect(externalDataPath('onnx/model.onnx', './model.onnx_data')).toBe('onnx/model.onnx_data');
    expect(externalDataPath('model.onnx', 'w/a.bin')).toBe('w/a.bin');
  });
});
