// The wide test variant: the tiny test model's encoder (hidden 32, 2 layers,
// its small vocabulary) with BGE-M3's output widths — a 1024-dim dense head
// over the [CLS] state and a 1024-dim ColBERT head — in the heads-in-graph
// layout, into .cache/test-model-wide/ on demand (`npm run model:wide`; tests
// never need it). Its rows are 1024 wide, as BGE-M3's, so the bytes a static
// site stores and a query downloads are the real model's; its vectors have
// rank 32 (a projection of a 32-dim state), so its rankings, and how well
// their sign bits rank, mean nothing.
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MANIFEST_FILE, type ModelManifest } from '../../src/model/manifest.js';
import { buildModel, makeWeights, TINY, type ModelShape } from './graph.js';
import { ensureTestModel, REPO_ROOT } from './index.js';

export const WIDE_SHAPE: ModelShape = { ...TINY, name: 'tiny_wide', colbertDim: 1024, denseDim: 1024 };
export const WIDE_ROOT = path.join(REPO_ROOT, '.cache', 'test-model-wide');

/** The wide variant's folder, written when missing or older than the tiny model it is made from. */
export async function ensureWideTestModel(opts: { force?: boolean } = {}): Promise<string> {
  const tiny = await ensureTestModel();
  const from = tiny.layouts['heads-in-graph'];
  const stamp = `${await readFile(path.join(tiny.root, 'stamp.json'), 'utf8')}|${JSON.stringify(WIDE_SHAPE)}`;
  const have = await readFile(path.join(WIDE_ROOT, 'stamp.txt'), 'utf8').catch(() => '');
  if (!opts.force && have === stamp) return WIDE_ROOT;
  await rm(WIDE_ROOT, { recursive: true, force: true });
  await cp(from, WIDE_ROOT, { recursive: true });
  const vocabSize = (JSON.parse(await readFile(path.join(from, 'config.json'), 'utf8')) as { vocab_size: number }).vocab_size;
  const weights = makeWeights(vocabSize, TINY.seed, WIDE_SHAPE);
  await mkdir(path.join(WIDE_ROOT, 'onnx'), { recursive: true });
  await writeFile(path.join(WIDE_ROOT, 'onnx', 'model.onnx'), buildModel(weights, 'heads-in-graph', 'fp32'));
  await writeFile(path.join(WIDE_ROOT, 'onnx', 'model_quantized.onnx'), buildModel(weights, 'heads-in-graph', 'int8'));
  const manifest = JSON.parse(await readFile(path.join(from, MANIFEST_FILE), 'utf8')) as ModelManifest;
  await writeFile(path.join(WIDE_ROOT, MANIFEST_FILE), JSON.stringify({ ...manifest, modelId: 'm3search/tiny-test-wide-1024' }, null, 2) + '\n');
  await writeFile(path.join(WIDE_ROOT, 'stamp.txt'), stamp);
  return WIDE_ROOT;
}
