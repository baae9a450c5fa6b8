// Named models: where each is published and the conventions it was trained
// with (pooling, prefixes, length). A folder loaded through a preset needs no
// m3search.json; one that has it overrides the preset field by field.
import { M3SearchError } from '../core/errors.js';
import type { ModelManifest } from './manifest.js';

export type Signal = 'dense' | 'sparse' | 'multi';

export interface ModelPreset {
  name: string;
  /**
   * Hugging Face repository the files come from (an ONNX export with
   * tokenizer.json at its root and onnx/model.onnx, onnx/model_quantized.onnx
   * for all but bge-m3). Checked against the hub's file listings; see the
   * README's "Which model for which job" for what was and was not seen.
   */
  repo: string;
  /** The upstream model card (quality figures, licence). */
  card: string;
  /** Default source: the repository's `resolve/main/` folder. Any self-hosted URL or local folder with the same files may replace it. */
  url: string;
  /** Dense dimensions. */
  dims: number;
  /** Parameters, as the model card states them (download ≈ 1 byte each for int8 ONNX, 4 for fp32). */
  params: string;
  languages: 'multilingual' | 'english';
  /** What the model produces: dense-only except BGE-M3. */
  signals: readonly Signal[];
  /** Conventions applied when the folder has no m3search.json (and fields it leaves out). */
  manifest: ModelManifest;
}

const hub = (repo: string): string => `https://huggingface.co/${repo}/resolve/main/`;

/** BGE v1.5 English models: the retrieval instruction on queries only (model card, "Using FlagEmbedding"). */
const BGE_EN_QUERY = 'Represent this sentence for searching relevant passages: ';

function preset(p: Omit<ModelPreset, 'url' | 'manifest'> & { manifest: Omit<ModelManifest, 'modelId' | 'layout'> }): ModelPreset {
  // layout is left to inference from the graph's outputs (all of these export last_hidden_state).
  return { ...p, url: hub(p.repo), manifest: { modelId: p.card.replace('https://huggingface.co/', ''), ...p.manifest } as ModelManifest };
}

export const MODEL_PRESETS = {
  'bge-m3': preset({
    name: 'bge-m3',
    repo: 'BAAI/bge-m3',
    card: 'https://huggingface.co/BAAI/bge-m3',
    dims: 1024,
    params: '568M',
    languages: 'multilingual',
    signals: ['dense', 'sparse', 'multi'],
    // The upstream folder ships fp32 ONNX only — onnx/model.onnx with its weights in onnx/model.onnx_data
    // (2.27 GB; commit "Adding ONNX file of this model (#44)") and no model_quantized.onnx, so even 'q8' loads
    // fp32 — plus sparse_linear.pt and colbert_linear.pt at the root (read by ./torch-pt.ts).
    manifest: { pooling: 'cls', normalize: true, maxLength: 8192 },
  }),
  'bge-small-en-v1.5': preset({
    name: 'bge-small-en-v1.5',
    repo: 'Xenova/bge-small-en-v1.5',
    card: 'https://huggingface.co/BAAI/bge-small-en-v1.5',
    dims: 384,
    params: '33M',
    languages: 'english',
    signals: ['dense'],
    manifest: { pooling: 'cls', normalize: true, maxLength: 512, queryPrefix: BGE_EN_QUERY },
  }),
  'bge-base-en-v1.5': preset({
    name: 'bge-base-en-v1.5',
    repo: 'Xenova/bge-base-en-v1.5',
    card: 'https://huggingface.co/BAAI/bge-base-en-v1.5',
    dims: 768,
    params: '109M',
    languages: 'english',
    signals: ['dense'],
    manifest: { pooling: 'cls', normalize: true, maxLength: 512, queryPrefix: BGE_EN_QUERY },
  }),
  'multilingual-e5-small': preset({
    name: 'multilingual-e5-small',
    repo: 'Xenova/multilingual-e5-small',
    card: 'https://huggingface.co/intfloat/multilingual-e5-small',
    dims: 384,
    params: '118M',
    languages: 'multilingual',
    signals: ['dense'],
    manifest: { pooling: 'mean', normalize: true, maxLength: 512, queryPrefix: 'query: ', passagePrefix: 'passage: ' },
  }),
  'multilingual-e5-base': preset({
    name: 'multilingual-e5-base',
    repo: 'Xenova/multilingual-e5-base',
    card: 'https://huggingface.co/intfloat/multilingual-e5-base',
    dims: 768,
    params: '278M',
    languages: 'multilingual',
    signals: ['dense'],
    manifest: { pooling: 'mean', normalize: true, maxLength: 512, queryPrefix: 'query: ', passagePrefix: 'passage: ' },
  }),
  'multilingual-e5-large': preset({
    name: 'multilingual-e5-large',
    repo: 'Xenova/multilingual-e5-large',
    card: 'https://huggingface.co/intfloat/multilingual-e5-large',
    dims: 1024,
    params: '560M',
    languages: 'multilingual',
    signals: ['dense'],
    manifest: { pooling: 'mean', normalize: true, maxLength: 512, queryPrefix: 'query: ', passagePrefix: 'passage: ' },
  }),
  'all-MiniLM-L6-v2': preset({
    name: 'all-MiniLM-L6-v2',
    repo: 'Xenova/all-MiniLM-L6-v2',
    card: 'https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2',
    dims: 384,
    params: '22.7M',
    languages: 'english',
    signals: ['dense'],
    // "input text longer than 256 word pieces is truncated" (model card).
    manifest: { pooling: 'mean', normalize: true, maxLength: 256 },
  }),
  'gte-small': preset({
    name: 'gte-small',
    repo: 'Xenova/gte-small',
    card: 'https://huggingface.co/thenlper/gte-small',
    dims: 384,
    params: '33M',
    languages: 'english',
    signals: ['dense'],
    manifest: { pooling: 'mean', normalize: true, maxLength: 512 },
  }),
  'nomic-embed-text-v1.5': preset({
    name: 'nomic-embed-text-v1.5',
    repo: 'nomic-ai/nomic-embed-text-v1.5',
    card: 'https://huggingface.co/nomic-ai/nomic-embed-text-v1.5',
    dims: 768,
    params: '137M',
    languages: 'english',
    signals: ['dense'],
    manifest: { pooling: 'mean', normalize: true, maxLength: 8192, queryPrefix: 'search_query: ', passagePrefix: 'search_document: ' },
  }),
} as const satisfies Record<string, ModelPreset>;

export type PresetName = keyof typeof MODEL_PRESETS;

/**
 * The one `preset` option of every surface that loads a model — `loadModel`
 * (Node), `createSearch`, `openSiteSearch` / `<m3-search data-preset>`,
 * `indexSite` and `--preset` on the command line — documented once here.
 */
export interface PresetOption {
  /**
   * A named model from `MODEL_PRESETS` (e.g. 'multilingual-e5-small'): its
   * conventions (pooling, normalization, query/passage prefixes, max length)
   * apply to the model folder — all of them when the folder has no
   * m3search.json, else the fields it leaves out. Where no `model` is given,
   * `loadModel`, `createSearch` and `openSiteSearch` / `<m3-search>` fetch the
   * files from the preset's hub folder (`MODEL_PRESETS[name].url`); `model`
   * overrides that with a self-hosted URL or folder. (`indexSite` /
   * `m3search index` still need `model`: a build downloads nothing unasked.)
   * An unknown name is `INVALID_OPTION` listing the known ones.
   */
  preset?: string;
}

export function isPresetName(name: string): name is PresetName {
  return Object.prototype.hasOwnProperty.call(MODEL_PRESETS, name);
}

/** The preset called `name`; INVALID_OPTION listing the known names otherwise. */
export function getPreset(name: string): ModelPreset {
  if (!isPresetName(name)) {
    throw new M3SearchError('INVALID_OPTION', `Unknown model preset ${JSON.stringify(name)}; known: ${Object.keys(MODEL_PRESETS).join(', ')}.`, { preset: name });
  }
  return MODEL_PRESETS[name];
}

/**
 * A folder's manifest over a preset's: the folder's fields win one by one
 * (so a self-hosted copy may change only, say, maxLength).
 */
export function mergeManifests(base: ModelManifest | undefined, folder: ModelManifest | undefined): ModelManifest | undefined {
  if (!base) return folder;
  if (!folder) return base;
  return { ...base, ...folder, outputs: { ...base.outputs, ...folder.outputs }, heads: { ...base.heads, ...folder.heads } };
}
