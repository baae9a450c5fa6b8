// The real-size model: the test model's generator at BGE-M3's exact shape
// (XLM-R large + its heads), random weights, one loadable folder per precision
// in .cache/model-shape/<precision>/. Its scores mean nothing; its speed and
// memory are the real model's. Written on demand (`npm run model:shape`),
// never by tests or CI; a folder whose stamp matches is left alone.
//
// Layout: hidden-state (last_hidden_state out, sparse/colbert heads as
// safetensors beside it), as BGE-M3's own onnx/ folder and Xenova's export ship
// it; transformers.js feature-extraction runs the same file. int8 is the
// dynamic scheme real int8 exports use (MatMulInteger, int8 embedding rows;
// see Int8Scheme in ./graph.ts), so its speed and memory are theirs.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelManifest } from '../../src/model/manifest.js';
import { DEFAULT_HEAD_FILES, MANIFEST_FILE } from '../../src/model/manifest.js';
import { buildModel, makeWeights, type ExternalSink, type ModelShape, type Precision, type TinyWeights } from './graph.js';
import { writeSafetensors } from './safetensors.js';
import { buildVocab, SPECIAL_IDS, SPECIALS, tokenizerFiles, type Vocab } from './tokenizer.js';

/** XLM-R large as BGE-M3 uses it: 24 × (1024, 16 heads, FFN 4096), 8194 positions (offset 2), ColBERT 1024. */
export const BGE_M3_SHAPE: ModelShape = {
  name: 'bge_m3_shape',
  hidden: 1024,
  heads: 16,
  layers: 24,
  ffn: 4096,
  colbertDim: 1024,
  maxPositions: 8194,
  maxLength: 8192,
  positionOffset: 2,
  layerNormEps: 1e-5,
  seed: 0x6d335f32,
  headGrid: 1 / 128,
};
export const BGE_M3_VOCAB = 250_002;

export const PRECISIONS = ['fp32', 'fp16', 'int8'] as const satisfies readonly Precision[];

/** Each precision's ONNX file, named as transformers.js looks them up (dtype fp32 / fp16 / q8). */
export const ONNX_FILE: Record<Precision, string> = {
  fp32: 'onnx/model.onnx',
  fp16: 'onnx/model_fp16.onnx',
  int8: 'onnx/model_quantized.onnx',
};

/** Bump when the output changes in a way the source hash would not show. */
const SHAPE_VERSION = 1;
const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '..', '..');
export const SHAPE_ROOT = path.join(REPO_ROOT, '.cache', 'model-shape');
const SOURCES = ['shape.ts', 'graph.ts', 'protobuf.ts', 'tokenizer.ts', 'safetensors.ts'];
const STAMP_FILE = 'stamp.json';
/** Synthetic vocabulary pieces: "▁" + this prefix + base-36 index, one token each. */
export const FILLER_PREFIX = 'zq';

export interface ShapeModelOptions {
  root?: string;
  precisions?: readonly Precision[];
  force?: boolean;
  log?: (message: string) => void;
}

async function stampFor(precision: Precision): Promise<object> {
  const src = createHash('sha256');
  for (const f of SOURCES) src.update(f).update(await readFile(path.join(HERE, f)));
  return { version: SHAPE_VERSION, precision, shape: BGE_M3_SHAPE, vocab: BGE_M3_VOCAB, sources: src.digest('hex') };
}

async function isFresh(dir: string, stamp: object, precision: Precision): Promise<boolean> {
  try {
    const have = await readFile(path.join(dir, STAMP_FILE), 'utf8');
    if (have !== JSON.stringify(stamp)) return false;
    await stat(path.join(dir, ONNX_FILE[precision]));
    await stat(path.join(dir, `${ONNX_FILE[precision]}_data`));
    return true;
  } catch {
    return false;
  }
}

/**
 * The sample corpus's vocabulary padded with one-token filler pieces to BGE-M3's
 * 250,002 entries: tokenizer and embedding-table costs depend on the size, not the contents.
 */
export function shapeVocab(corpusTexts: readonly string[]): Vocab {
  const base = buildVocab(corpusTexts);
  const mask = base.pop()!;
  if (mask[0] !== SPECIALS.mask) throw new Error('buildVocab no longer ends with <mask>');
  // Scored above every real piece, so "▁zq1a" is always one token, never a split.
  for (let i = 0; base.length < BGE_M3_VOCAB - 1; i++) base.push([`▁${FILLER_PREFIX}${i.toString(36)}`, -1]);
  base.push(mask);
  return base;
}

/** An fd-backed side file written as the graph is built: one weight copy in memory at a time. */
function fileSink(file: string, location: string): ExternalSink & { close(): void } {
  const fd = openSync(file, 'w');
  let size = 0;
  return {
    location,
    threshold: 1024,
    write(bytes) {
      const pad = (64 - (size % 64)) % 64;
      if (pad) writeSync(fd, new Uint8Array(pad));
      const offset = size + pad;
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, Math.min(1 << 30, bytes.length - done));
      size = offset + bytes.length;
      return offset;
    },
    close: () => closeSync(fd),
  };
}

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';

async function readCorpusTexts(): Promise<string[]> {
  const texts: string[] = [];
  const raw = await readFile(path.join(REPO_ROOT, 'public', 'sample-corpus.jsonl'), 'utf8').catch(() => '');
  for (const line of raw.split('\n')) {
    if (!line.trim()) continue;
    const row = JSON.parse(line) as { title?: string; text?: string };
    texts.push([row.title, row.text].filter(Boolean).join('\n'));
  }
  return texts;
}

/**
 * Ensures `.cache/model-shape/<precision>/` for each precision; returns the
 * folders. Weights are drawn once per call (≈2.3 GB as fp32) and each graph is
 * streamed into its side file, so memory stays near one copy of the weights.
 */
export async function ensureShapeModel(opts: ShapeModelOptions = {}): Promise<Record<Precision, string>> {
  const root = path.resolve(opts.root ?? SHAPE_ROOT);
  const log = opts.log ?? (() => {});
  const precisions = opts.precisions ?? PRECISIONS;
  const dirs = Object.fromEntries(PRECISIONS.map((p) => [p, path.join(root, p)])) as Record<Precision, string>;
  let weights: TinyWeights | undefined;
  let vocab: Vocab | undefined;
  for (const precision of precisions) {
    const stamp = await stampFor(precision);
    if (!opts.force && (await isFresh(dirs[precision], stamp, precision))) {
      log(`${precision}: up to date in ${dirs[precision]}`);
      continue;
    }
    if (!vocab) vocab = shapeVocab(await readCorpusTexts());
    if (!weights) {
      const t0 = performance.now();
      weights = makeWeights(vocab.length, BGE_M3_SHAPE.seed, BGE_M3_SHAPE, true);
      log(`weights drawn in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const t0 = performance.now();
    await mkdir(root, { recursive: true });
    const tmp = path.join(root, `.tmp-${precision}-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await writeFolder(tmp, precision, weights, vocab);
      await rm(dirs[precision], { recursive: true, force: true });
      await rename(tmp, dirs[precision]);
      await writeFile(path.join(dirs[precision], STAMP_FILE), JSON.stringify(stamp));
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    log(`${precision}: written in ${((performance.now() - t0) / 1000).toFixed(1)} s to ${dirs[precision]}`);
  }
  return dirs;
}

async function writeFolder(dir: string, precision: Precision, w: TinyWeights, vocab: Vocab): Promise<void> {
  const S = BGE_M3_SHAPE;
  const onnxFile = ONNX_FILE[precision];
  await mkdir(path.join(dir, 'onnx'), { recursive: true });
  const dataName = `${path.basename(onnxFile)}_data`;
  const sink = fileSink(path.join(dir, 'onnx', dataName), dataName);
  try {
    await writeFile(path.join(dir, onnxFile), buildModel(w, 'hidden-state', precision, sink, 'dynamic'));
  } finally {
    sink.close();
  }
  const manifest: ModelManifest = {
    modelId: `m3search/bge-m3-shape-${precision}`,
    layout: 'hidden-state',
    onnx: onnxFile,
    maxLength: S.maxLength,
    heads: { sparse: DEFAULT_HEAD_FILES.sparse, colbert: DEFAULT_HEAD_FILES.colbert },
  };
  await writeFile(path.join(dir, MANIFEST_FILE), json(manifest));
  await writeFile(
    path.join(dir, 'config.json'),
    json({
      architectures: ['XLMRobertaModel'],
      model_type: 'xlm-roberta',
      hidden_size: S.hidden,
      num_attention_heads: S.heads,
      num_hidden_layers: S.layers,
      intermediate_size: S.ffn,
      hidden_act: 'gelu',
      vocab_size: vocab.length,
      max_position_embeddings: S.maxPositions,
      type_vocab_size: 1,
      layer_norm_eps: S.layerNormEps,
      pad_token_id: SPECIAL_IDS.pad,
      bos_token_id: SPECIAL_IDS.bos,
      eos_token_id: SPECIAL_IDS.eos,
      // transformers.js: the weights sit in onnx/<file>.onnx_data.
      'transformers.js_config': { use_external_data_format: true },
    }),
  );
  const tok = tokenizerFiles(vocab, S.maxLength);
  await writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(tok.tokenizer) + '\n');
  await writeFile(path.join(dir, 'tokenizer_config.json'), json(tok.config));
  await writeFile(path.join(dir, 'special_tokens_map.json'), json(tok.specialTokensMap));
  await writeFile(
    path.join(dir, DEFAULT_HEAD_FILES.sparse),
    writeSafetensors({ weight: { shape: [1, S.hidden], data: w.sparse.weight }, bias: { shape: [1], data: w.sparse.bias } }),
  );
  await writeFile(
    path.join(dir, DEFAULT_HEAD_FILES.colbert),
    writeSafetensors({
      weight: { shape: [w.colbert.outDim, w.colbert.inDim], data: w.colbert.weight },
      bias: { shape: [w.colbert.outDim], data: w.colbert.bias },
    }),
  );
}

/** A passage of exactly `tokens` tokens counting <s> and </s>: filler pieces (one token each) picked by `next` (a PRNG in [0, 1)). */
export function shapePassage(tokens: number, next: () => number): string {
  const words: string[] = [];
  // Fillers 0…199,999 all exist: the corpus vocabulary before them is far below 50k entries.
  for (let i = 0; i < tokens - 2; i++) words.push(`${FILLER_PREFIX}${Math.floor(next() * 200_000).toString(36)}`);
  return words.join(' ');
}
