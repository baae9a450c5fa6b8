// Generates (once) the tiny BGE-M3-shaped test model into .cache/test-model/:
// one folder per output layout, each loadable like a real model folder, and
// `external-data/`: the hidden-state model as BGE-M3's hub folder ships its
// fp32 graph (onnx/model.onnx + onnx/model.onnx_data, no int8 file).
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelManifest, OutputLayout } from '../../src/model/manifest.js';
import { DEFAULT_HEAD_FILES, MANIFEST_FILE } from '../../src/model/manifest.js';
import { externalize } from './external.js';
import { buildModel, docOnlyWeights, makeWeights, TINY, type TinyWeights } from './graph.js';
import { writeSafetensors } from './safetensors.js';
import { buildVocab, SPECIAL_IDS, tokenizerFiles } from './tokenizer.js';
import { WP_PAD_ID, wordPieceFiles, wordPieceVocab } from './wordpiece.js';

/** Bump when the output changes in a way the source hash would not show. */
export const GENERATOR_VERSION = 3;

export const LAYOUTS = ['heads-in-graph', 'hidden-state', 'splade'] as const satisfies readonly OutputLayout[];
export type TestLayout = (typeof LAYOUTS)[number];

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..');
export const DEFAULT_ROOT = path.join(REPO_ROOT, '.cache', 'test-model');
export const CORPUS_PATH = path.join(REPO_ROOT, 'public', 'sample-corpus.jsonl');
const STAMP_FILE = 'stamp.json';
const SOURCES = ['index.ts', 'graph.ts', 'protobuf.ts', 'tokenizer.ts', 'wordpiece.ts', 'safetensors.ts', 'external.ts'];

/** Every file each layout folder holds. */
export const MODEL_FILES = [
  'onnx/model.onnx',
  'onnx/model_quantized.onnx',
  MANIFEST_FILE,
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  DEFAULT_HEAD_FILES.sparse,
  DEFAULT_HEAD_FILES.colbert,
] as const;

/** The folder holding the external-data variant, and its files. */
export const EXTERNAL_DIR = 'external-data';
/** The layout the external-data variant copies (its fp32 graph, with the weights moved out). */
export const EXTERNAL_OF: TestLayout = 'hidden-state';
export const EXTERNAL_FILES = [
  'onnx/model.onnx',
  'onnx/model.onnx_data',
  ...MODEL_FILES.filter((f) => !f.startsWith('onnx/')),
] as const;

export interface TestModel {
  root: string;
  layouts: Record<TestLayout, string>;
  /** The external-data variant of `layouts[EXTERNAL_OF]`: same weights and files, onnx/model.onnx's initializers in onnx/model.onnx_data. */
  externalData: string;
  /**
   * A doc-only ("inference-free") SPLADE model: the splade layout with a BERT
   * uncased WordPiece tokenizer (as OpenSearch's doc-only models ship), a sparse
   * MLM head (own tokens + a bounded expansion per passage, `docOnlyWeights`),
   * its manifest's `sparse.query` 'idf' and a generated `idf.json`.
   */
  docOnly: string;
}

/** Folder of the doc-only model (splade layout, WordPiece tokenizer, idf.json). */
export const DOC_ONLY_FOLDER = 'splade-doc';
export const IDF_FILE = 'idf.json';

export interface EnsureOptions {
  /** Output folder (default `<repo>/.cache/test-model`). */
  root?: string;
  /** Regenerate even when the stamp matches. */
  force?: boolean;
}

/** Texts of the sample corpus (title + text per JSON line), or none when it does not exist yet. */
async function readCorpus(): Promise<{ texts: string[]; bytes: Uint8Array | null }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(CORPUS_PATH);
  } catch {
    return { texts: [], bytes: null };
  }
  const texts: string[] = [];
  for (const line of new TextDecoder().decode(bytes).split('\n')) {
    if (!line.trim()) continue;
    try {
      const row = JSON.parse(line) as { title?: unknown; text?: unknown };
      const parts = [row.title, row.text].filter((p): p is string => typeof p === 'string');
      if (parts.length) texts.push(parts.join('\n'));
    } catch {
      // A half-written line (the corpus is edited by hand) only loses its words.
    }
  }
  return { texts, bytes };
}

/** Generator version + generator sources + corpus bytes: any change regenerates. */
async function fingerprint(corpus: Uint8Array | null): Promise<{ version: number; sources: string; corpus: string }> {
  const src = createHash('sha256');
  for (const f of SOURCES) {
    try {
      src.update(f).update(await readFile(path.join(HERE, f)));
    } catch {
      src.update(`${f}:missing`);
    }
  }
  const corpusHash = corpus ? createHash('sha256').update(corpus).digest('hex') : 'none';
  return { version: GENERATOR_VERSION, sources: src.digest('hex'), corpus: corpusHash };
}

async function isFresh(root: string, want: object): Promise<boolean> {
  try {
    const have = JSON.parse(await readFile(path.join(root, STAMP_FILE), 'utf8')) as object;
    if (JSON.stringify(have) !== JSON.stringify(want)) return false;
    for (const layout of LAYOUTS) for (const f of MODEL_FILES) await stat(path.join(root, layout, f));
    for (const f of EXTERNAL_FILES) await stat(path.join(root, EXTERNAL_DIR, f));
    await stat(path.join(root, DOC_ONLY_FOLDER, IDF_FILE));
    return true;
  } catch {
    return false;
  }
}

function layoutPaths(root: string): Record<TestLayout, string> {
  return Object.fromEntries(LAYOUTS.map((l) => [l, path.join(root, l)])) as Record<TestLayout, string>;
}

export async function ensureTestModel(opts: EnsureOptions = {}): Promise<TestModel> {
  const root = path.resolve(opts.root ?? DEFAULT_ROOT);
  const corpus = await readCorpus();
  const stamp = await fingerprint(corpus.bytes);
  const model = { root, layouts: layoutPaths(root), externalData: path.join(root, EXTERNAL_DIR), docOnly: path.join(root, DOC_ONLY_FOLDER) };
  if (!opts.force && (await isFresh(root, stamp))) return model;

  // Build beside the target, then swap folders in, so a reader never sees half a model.
  await mkdir(root, { recursive: true });
  const tmp = path.join(root, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeAll(tmp, corpus.texts);
    await rm(path.join(root, STAMP_FILE), { force: true });
    for (const folder of [...LAYOUTS, EXTERNAL_DIR, DOC_ONLY_FOLDER]) {
      const dest = path.join(root, folder);
      await rm(dest, { recursive: true, force: true });
      await rename(path.join(tmp, folder), dest);
    }
    await writeFile(path.join(root, STAMP_FILE), JSON.stringify(stamp, null, 2) + '\n');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return model;
}

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';

function manifestFor(layout: TestLayout): ModelManifest {
  const m: ModelManifest = { modelId: `m3search/tiny-test-${layout}`, layout, maxLength: TINY.maxLength };
  if (layout === 'heads-in-graph') m.colbertIncludesCls = false;
  else m.heads = { sparse: DEFAULT_HEAD_FILES.sparse, colbert: DEFAULT_HEAD_FILES.colbert };
  return m;
}

function hfConfig(vocabSize: number): Record<string, unknown> {
  return {
    architectures: ['XLMRobertaModel'],
    model_type: 'xlm-roberta',
    hidden_size: TINY.hidden,
    num_attention_heads: TINY.heads,
    num_hidden_layers: TINY.layers,
    intermediate_size: TINY.ffn,
    hidden_act: 'gelu',
    vocab_size: vocabSize,
    max_position_embeddings: TINY.maxPositions,
    type_vocab_size: 1,
    layer_norm_eps: TINY.layerNormEps,
    pad_token_id: SPECIAL_IDS.pad,
    bos_token_id: SPECIAL_IDS.bos,
    eos_token_id: SPECIAL_IDS.eos,
  };
}

/** Writes every layout folder under `dir`; all layouts share one tokenizer and one set of weights. */
async function writeAll(dir: string, corpusTexts: readonly string[]): Promise<void> {
  const vocab = buildVocab(corpusTexts);
  const tok = tokenizerFiles(vocab, TINY.maxLength);
  const weights: TinyWeights = makeWeights(vocab.length);
  const sparseHead = writeSafetensors({
    weight: { shape: [1, TINY.hidden], data: weights.sparse.weight },
    bias: { shape: [1], data: weights.sparse.bias },
  });
  const colbertHead = writeSafetensors({
    weight: { shape: [weights.colbert.outDim, weights.colbert.inDim], data: weights.colbert.weight },
    bias: { shape: [weights.colbert.outDim], data: weights.colbert.bias },
  });
  const tokenizerJson = JSON.stringify(tok.tokenizer) + '\n';
  for (const layout of LAYOUTS) {
    const out = path.join(dir, layout);
    await mkdir(path.join(out, 'onnx'), { recursive: true });
    await writeFile(path.join(out, 'onnx', 'model.onnx'), buildModel(weights, layout, 'fp32'));
    await writeFile(path.join(out, 'onnx', 'model_quantized.onnx'), buildModel(weights, layout, 'int8'));
    await writeFile(path.join(out, MANIFEST_FILE), json(manifestFor(layout)));
    await writeFile(path.join(out, 'config.json'), json(hfConfig(vocab.length)));
    await writeFile(path.join(out, 'tokenizer.json'), tokenizerJson);
    await writeFile(path.join(out, 'tokenizer_config.json'), json(tok.config));
    await writeFile(path.join(out, 'special_tokens_map.json'), json(tok.specialTokensMap));
    await writeFile(path.join(out, DEFAULT_HEAD_FILES.sparse), sparseHead);
    await writeFile(path.join(out, DEFAULT_HEAD_FILES.colbert), colbertHead);
  }
  // The external-data variant: the same files as EXTERNAL_OF's but its fp32 graph split in two.
  const ext = path.join(dir, EXTERNAL_DIR);
  await mkdir(path.join(ext, 'onnx'), { recursive: true });
  for (const f of EXTERNAL_FILES) if (!f.startsWith('onnx/')) await writeFile(path.join(ext, f), await readFile(path.join(dir, EXTERNAL_OF, f)));
  const split = externalize(await readFile(path.join(dir, EXTERNAL_OF, 'onnx', 'model.onnx')));
  await writeFile(path.join(ext, 'onnx', 'model.onnx'), split.graph);
  await writeFile(path.join(ext, 'onnx', 'model.onnx_data'), split.data);
  // The doc-only model: the splade layout over its own WordPiece vocabulary and sparse MLM head, declared inference-free, with an idf table.
  const doc = path.join(dir, DOC_ONLY_FOLDER);
  const wpVocab = wordPieceVocab(vocab);
  const wpPieces = Object.keys(wpVocab);
  const wpTok = wordPieceFiles(wpVocab, TINY.maxLength);
  const docWeights = docOnlyWeights(wpPieces.length);
  await mkdir(path.join(doc, 'onnx'), { recursive: true });
  await writeFile(path.join(doc, 'onnx', 'model.onnx'), buildModel(docWeights, 'splade', 'fp32'));
  await writeFile(path.join(doc, 'onnx', 'model_quantized.onnx'), buildModel(docWeights, 'splade', 'int8'));
  const docManifest: ModelManifest = { ...manifestFor('splade'), modelId: 'm3search/tiny-test-splade-doc', sparse: { query: 'idf', idf: IDF_FILE } };
  await writeFile(path.join(doc, MANIFEST_FILE), json(docManifest));
  await writeFile(path.join(doc, 'config.json'), json(bertConfig(wpPieces.length)));
  await writeFile(path.join(doc, 'tokenizer.json'), JSON.stringify(wpTok.tokenizer) + '\n');
  await writeFile(path.join(doc, 'tokenizer_config.json'), json(wpTok.config));
  await writeFile(path.join(doc, 'special_tokens_map.json'), json(wpTok.specialTokensMap));
  await writeFile(path.join(doc, DEFAULT_HEAD_FILES.sparse), sparseHead);
  await writeFile(path.join(doc, DEFAULT_HEAD_FILES.colbert), colbertHead);
  await writeFile(path.join(doc, IDF_FILE), json(idfTable(wpPieces)));
}

/** config.json of the doc-only model: BERT's fields (the graph's position table holds maxLength positions). */
function bertConfig(vocabSize: number): Record<string, unknown> {
  return {
    architectures: ['BertForMaskedLM'],
    model_type: 'bert',
    hidden_size: TINY.hidden,
    num_attention_heads: TINY.heads,
    num_hidden_layers: TINY.layers,
    intermediate_size: TINY.ffn,
    hidden_act: 'gelu',
    vocab_size: vocabSize,
    max_position_embeddings: TINY.maxLength,
    type_vocab_size: 1,
    layer_norm_eps: TINY.layerNormEps,
    pad_token_id: WP_PAD_ID,
  };
}

/**
 * A deterministic idf table over the vocabulary: weights from 0.5 to 8 spread
 * by a hash of the piece, and every 13th piece left out (a table need not
 * cover the vocabulary: absent pieces weigh nothing at query time).
 */
function idfTable(pieces: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  pieces.forEach((piece, i) => {
    if (i % 13 === 5) return;
    const h = createHash('sha256').update(piece).digest();
    out[piece] = Math.round((0.5 + (h.readUInt16LE(0) / 65535) * 7.5) * 1e4) / 1e4;
  });
  return out;
}
