// m3search.json is checked field by field at load: a bad value is a typed
// error naming the field, never a raw TypeError or a forward pass that fails
// on some later document (issue #12, "Model manifest").
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkManifest, modelPositions } from '../../src/model/manifest.js';
import { loadModel } from '../../src/node/load-model.js';
import { testModel } from '../helpers/test-model.js';

let tmp: string;
let source: string;

/** A copy of the heads-in-graph test model whose m3search.json has `patch` applied. */
function withManifest(patch: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(tmp, 'm-'));
  cpSync(source, dir, { recursive: true });
  const file = path.join(dir, 'm3search.json');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), ...patch }));
  return dir;
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'm3s-manifest-'));
  source = (await testModel()).layouts['heads-in-graph'];
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('m3search.json validation at load', () => {
  it.each([
    ['layout', 'bogus'],
    ['maxLength', -5],
    ['maxLength', 'abc'],
    ['maxLength', 1e9],
    ['maxLength', 2.5],
    ['modelId', 42],
    ['outputs', 'dense_embeddings'],
    ['colbertIncludesCls', 'yes'],
  ])('%s: %j is MODEL_FILES naming the field', async (field, value) => {
    const err = await loadModel(withManifest({ [field]: value })).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'M3SearchError', code: 'MODEL_FILES', details: { field } });
    expect((err as Error).message).toContain(field);
  });

  it('refuses a maxLength beyond the model position table (8,194 rows, 8,192 tokens) as MODEL_MISMATCH', async () => {
    const err = await loadModel(withManifest({ maxLength: 10000 })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MODEL_MISMATCH', details: { field: 'maxLength', maxLength: 10000, positions: 8192 } });
    // The same check for the load option.
    await expect(loadModel(source, { maxLength: 8193 })).rejects.toMatchObject({ code: 'MODEL_MISMATCH' });
    await expect(loadModel(source, { maxLength: 'abc' as unknown as number })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });

  it('still loads a manifest at the limit', async () => {
    const enc = await loadModel(withManifest({ maxLength: 8192 }));
    expect(enc.info.maxLength).toBe(8192);
    await enc.dispose();
  });

  it('sparse.query: only "idf", on a model with a sparse signal, with a readable idf table', async () => {
    const bad = (sparse: unknown, extra: Record<string, unknown> = {}) => () => checkManifest({ layout: 'splade', ...extra, sparse }, 'x/m3search.json');
    expect(bad('idf')).toThrow(expect.objectContaining({ code: 'MODEL_FILES', details: expect.objectContaining({ field: 'sparse' }) }));
    expect(bad({ query: 'model' })).toThrow(expect.objectContaining({ details: expect.objectContaining({ field: 'sparse.query' }) }));
    expect(bad({ query: 'idf', idf: '' })).toThrow(expect.objectContaining({ details: expect.objectContaining({ field: 'sparse.idf' }) }));
    expect(bad({ query: 'idf', extra: 1 })).toThrow(expect.objectContaining({ details: expect.objectContaining({ field: 'sparse.extra' }) }));
    // BGE-M3's lexical head may be queried by idf too (experimental): the layout alone no longer refuses it.
    expect(checkManifest({ layout: 'hidden-state', sparse: { query: 'idf' } }, 'x').sparse).toEqual({ query: 'idf' });
    expect(checkManifest({ layout: 'splade', sparse: { query: 'idf' } }, 'x').sparse).toEqual({ query: 'idf' });
    // A model with a sparse signal but no idf table names the missing file.
    const noTable = await loadModel(withManifest({ sparse: { query: 'idf' } })).catch((e: unknown) => e);
    expect(noTable).toMatchObject({ code: 'MODEL_FILES', message: expect.stringContaining('idf.json') });
    // A model with no sparse signal at all cannot have an idf query side; a missing or malformed idf table is named.
    const dense = mkdtempSync(path.join(tmp, 'dense-'));
    cpSync((await testModel()).layouts['hidden-state'], dense, { recursive: true });
    rmSync(path.join(dense, 'sparse_linear.safetensors'));
    const denseManifest = JSON.parse(readFileSync(path.join(dense, 'm3search.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(path.join(dense, 'm3search.json'), JSON.stringify({ ...denseManifest, heads: { colbert: 'colbert_linear.safetensors' }, sparse: { query: 'idf' } }));
    const noSparse = await loadModel(dense).catch((e: unknown) => e);
    expect(noSparse).toMatchObject({ code: 'MODEL_FILES', details: { field: 'sparse.query' } });
    const doc = (await testModel()).docOnly;
    const copy = mkdtempSync(path.join(tmp, 'd-'));
    cpSync(doc, copy, { recursive: true });
    rmSync(path.join(copy, 'idf.json'));
    await expect(loadModel(copy)).rejects.toMatchObject({ code: 'MODEL_FILES' });
    writeFileSync(path.join(copy, 'idf.json'), JSON.stringify({ '\u2581a': -1 }));
    await expect(loadModel(copy)).rejects.toThrow(/idf\.json/);
    const enc = await loadModel(doc);
    expect(enc.info.sparseQuery).toBe('idf');
    expect(enc.idfQuery?.idf.size).toBeGreaterThan(1000);
    await enc.dispose();
  });

  it('checks the shape without a model', () => {
    expect(() => checkManifest([], 'x/m3search.json')).toThrow(/JSON object/);
    expect(checkManifest({ modelId: 'a', layout: 'splade', maxLength: 512 }, 'x')).toMatchObject({ layout: 'splade' });
    expect(modelPositions({ model_type: 'xlm-roberta', max_position_embeddings: 8194, pad_token_id: 1 })).toBe(8192);
    expect(modelPositions({ model_type: 'bert', max_position_embeddings: 512 })).toBe(512);
    expect(modelPositions({})).toBeUndefined();
  });
});
