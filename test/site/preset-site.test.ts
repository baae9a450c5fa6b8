// A static index built through a preset (issue #15): `m3search index --model
// <folder without m3search.json> --preset NAME` records the conventions the
// passages were encoded with, and every reader that loads the model with them
// (the page — test/e2e/model-files.test.ts —, `m3search query`, loadModel's
// `conventions`) gets the build's fingerprint and query vectors.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { M3Encoder } from '../../src/model/encoder.js';
import { loadModel } from '../../src/node/load-model.js';
import { openIndexDir } from '../../src/site/node-reader.js';
import { indexSite } from '../../src/site/publish.js';
import { searchSite } from '../../src/site/search.js';
import type { SiteManifest } from '../../src/site/types.js';
import { sampleCorpus, ROOT } from '../e2e/support.js';
import { testModel } from '../helpers/test-model.js';

const BIN = path.join(ROOT, 'bin', 'm3search.mjs');
const PRESET = 'multilingual-e5-small';
const QUERIES = ['capital of France', 'how do service workers cache pages', 'Python list comprehension'];

let dir: string;
let bare: string;
let out: string;
let manifest: SiteManifest;
let withPreset: M3Encoder;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'm3s-preset-site-'));
  // A folder as a preset's hub folder is: the model's files, no m3search.json.
  bare = path.join(dir, 'model');
  await cp((await testModel()).layouts['hidden-state'], bare, { recursive: true });
  await rm(path.join(bare, 'm3search.json'));
  out = path.join(dir, 'idx');
  await indexSite({ site: dir, out, documents: await sampleCorpus(40), model: bare, preset: PRESET });
  manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as SiteManifest;
  withPreset = await loadModel(bare, { preset: PRESET });
}, 120_000);

afterAll(async () => {
  await withPreset?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('an index built through a preset', () => {
  it('records the conventions the passages were encoded with', () => {
    expect(manifest.model).toMatchObject({ id: 'intfloat/multilingual-e5-small', fingerprint: withPreset.info.fingerprint });
    expect(manifest.model!.conventions).toEqual({ pooling: 'mean', normalize: true, queryPrefix: 'query: ', passagePrefix: 'passage: ', maxLength: 512 });
  });

  it('the recorded conventions reproduce the build encoder: same fingerprint, bit-identical query vectors', async () => {
    const plain = await loadModel(bare);
    const recorded = await loadModel(bare, { conventions: manifest.model!.conventions! });
    try {
      expect(plain.info.fingerprint).not.toBe(manifest.model!.fingerprint);
      expect(recorded.info.fingerprint).toBe(manifest.model!.fingerprint);
      expect(recorded.info.maxLength).toBe(withPreset.info.maxLength);
      const [a, b, c] = await Promise.all([withPreset, recorded, plain].map((e) => e.encode(QUERIES, { kind: 'query' })));
      a!.forEach((e, i) => expect([...b![i]!.dense]).toEqual([...e.dense]));
      expect([...c![0]!.dense]).not.toEqual([...a![0]!.dense]);
    } finally {
      await Promise.all([plain.dispose(), recorded.dispose()]);
    }
  });

  it("the recorded conventions win over the model folder's own m3search.json (queries must match the passages)", async () => {
    const folder = path.join(dir, 'model-with-manifest');
    await cp(bare, folder, { recursive: true });
    await writeFile(path.join(folder, 'm3search.json'), JSON.stringify({ pooling: 'cls', queryPrefix: 'search_query: ' }));
    const recorded = await loadModel(folder, { conventions: manifest.model!.conventions! });
    try {
      expect(recorded.info).toMatchObject({ pooling: 'mean', queryPrefix: 'query: ', passagePrefix: 'passage: ', fingerprint: manifest.model!.fingerprint });
    } finally {
      await recorded.dispose();
    }
  });

  it('`m3search query` applies them: its dense scores are the preset encoder\'s', async () => {
    const reader = await openIndexDir(out);
    for (const q of QUERIES) {
      const want = (await searchSite(reader, q, { encoder: withPreset, mode: 'dense', k: 5 })).hits;
      const { code, stdout, stderr } = await cli(['query', out, '--model', bare, '--mode', 'dense', '-k', '5', q]);
      expect(code, stderr).toBe(0);
      const got = [...stdout.matchAll(/^\s*\d+\. (-?\d+\.\d{4})  (\S+)$/gm)].map((m) => ({ score: m[1], url: m[2] }));
      expect(got, q).toEqual(want.map((h) => ({ score: h.score.toFixed(4), url: h.url })));
    }
  }, 120_000);
});

describe('--preset on the command line', () => {
  it('an unknown name is INVALID_OPTION listing the known ones, before any page is read', async () => {
    const { code, stderr } = await cli(['index', path.join(dir, 'nowhere'), '--model', bare, '--preset', 'e5-tiny']);
    expect(code).toBe(2);
    expect(stderr).toContain('Unknown model preset "e5-tiny"');
    expect(stderr).toContain(PRESET);
    expect(stderr).not.toContain('does not exist'); // the missing site folder is not what it complains about
  });

  it('`m3search search --preset` with an unknown name is INVALID_OPTION before encoding', async () => {
    const { code, stderr } = await cli(['search', '--model', bare, '--preset', 'e5-tiny', 'anything']);
    expect(code).toBe(2);
    expect(stderr).toContain('Unknown model preset "e5-tiny"');
    expect(stderr).not.toContain('indexed');
  });

  it('without a model it is refused (a keyword-only index has no conventions)', async () => {
    const { code, stderr } = await cli(['index', dir, '--preset', PRESET]);
    expect(code).toBe(2);
    expect(stderr).toContain('preset (--preset) needs a model');
  });
});
