// Loads a model folder (any ModelSource) into an M3Encoder: reads the manifest
// or infers the layout from the graph's outputs, loads head weights, checks that
// tokenizer, graph and heads fit together, and fingerprints the files.
import type { InferenceSession } from 'onnxruntime-common';
import { M3SearchError, throwIfAborted } from '../core/errors.js';
import { FileSampler, fingerprintBytes, type FileSample } from './fingerprint.js';
import type { LinearHead } from './heads.js';
import { DEFAULT_CONVENTIONS, M3Encoder, type Conventions, type EncoderParts, type ModelInfo, type OrtRuntime } from './encoder.js';
import { checkManifest, DEFAULT_HEAD_FILES, DEFAULT_IDF_FILE, DEFAULT_TORCH_HEAD_FILES, DEFAULT_OUTPUT_NAMES, MANIFEST_FILE, MIN_MAX_LENGTH, modelPositions, type ModelConventions, type ModelManifest, type OutputLayout } from './manifest.js';
import { punctuationIds, userNoiseIds } from './noise.js';
import { externalDataLocations, externalDataPath } from './onnx-external.js';
import { getPreset, mergeManifests, type ModelPreset } from './presets.js';
import { parseSafetensors, type NamedTensor } from './safetensors.js';
import type { SparsePruning } from './sparse-pruning.js';
import { notFound, parseJson, readJson, whereOf, type FileProgress, type ModelFileErrorDetails, type ModelSource, type ReadOptions } from './source.js';
import { createTokenizer, type JsonObject } from './tokenizer.js';
import { parseTorchStateDict } from './torch-pt.js';
import { parseIdf } from './splade-query.js';

export interface LoadOptions {
  ort: OrtRuntime;
  sessionOptions?: InferenceSession.SessionOptions;
  /** 'q8' prefers onnx/model_quantized.onnx (default), 'fp32' prefers onnx/model.onnx. */
  dtype?: 'q8' | 'fp32';
  /** Overrides the manifest's maxLength (e.g. a smaller window for long documents). */
  maxLength?: number;
  /** Extra token strings that never enter sparse vectors (added to special tokens and, for SPLADE, punctuation). */
  noiseTokens?: readonly string[];
  /**
   * Keep punctuation/symbol vocabulary entries out of sparse vectors. Default:
   * on for SPLADE models (the MLM head expands into them), off for BGE-M3
   * lexical weights (which weight only the text's own tokens, as FlagEmbedding does).
   */
  punctuationFilter?: boolean;
  pruning?: { query?: SparsePruning; passage?: SparsePruning };
  /**
   * Multiple-[CLS] dense vectors: insert a [CLS] before every this many tokens
   * and average their final states (e.g. 256). Only for graphs that output the
   * hidden states (hidden-state and splade layouts, or heads-in-graph exports
   * that also output last_hidden_state); MODEL_FILES otherwise.
   */
  multiCls?: number;
  /**
   * A named model (see ./presets.ts, e.g. 'multilingual-e5-small') whose
   * conventions apply to this folder: all of them when it has no
   * m3search.json, else the fields its manifest leaves out.
   */
  preset?: string | ModelPreset;
  /**
   * The conventions an index was encoded with (a site manifest's
   * `model.conventions`): they win over the folder's manifest and the preset,
   * so queries are encoded as the passages were. `maxLength` yields to the
   * `maxLength` option.
   */
  conventions?: ModelConventions;
  /**
   * 'idf': an inference-free query side even where the folder's manifest does
   * not declare one (BGE-M3, whose lexical head ships no idf table): the
   * folder's `idf.json`, when it has one, becomes the query side as if
   * declared; otherwise the encoder keeps its tokenizer files
   * (`tokenizerFiles`) so a static-site build can compute idf from its own
   * passages. Experimental on a lexical head. MODEL_FILES when the model has
   * no sparse signal.
   */
  sparseQuery?: 'idf';
  signal?: AbortSignal;
  onProgress?: (p: FileProgress) => void;
}

const ONNX_CANDIDATES = { q8: ['onnx/model_quantized.onnx', 'onnx/model.onnx', 'model_quantized.onnx', 'model.onnx'], fp32: ['onnx/model.onnx', 'model.onnx', 'onnx/model_quantized.onnx', 'model_quantized.onnx'] };

export async function loadEncoder(source: ModelSource, opts: LoadOptions): Promise<M3Encoder> {
  const read = { signal: opts.signal, onProgress: opts.onProgress };
  const rawManifest = await readJson<unknown>(source, MANIFEST_FILE, read);
  const preset = typeof opts.preset === 'string' ? getPreset(opts.preset) : opts.preset;
  const folderManifest = rawManifest === undefined ? undefined : checkManifest(rawManifest, whereOf(source, MANIFEST_FILE));
  const manifest = mergeManifests(preset?.manifest, folderManifest);
  // The raw bytes are kept for the fingerprint: re-serializing a 17 MB XLM-R tokenizer would cost a second parse's time.
  const tokenizerBytes = await source.read('tokenizer.json', read);
  // Neither the (optional) manifest nor the tokenizer: most likely a wrong folder URL or path.
  if (!tokenizerBytes) throw notFound(source, ['tokenizer.json'], folderManifest === undefined);
  const tokenizerJson = parseJson<JsonObject>(tokenizerBytes, source, 'tokenizer.json');
  const tokenizerConfig = (await readJson<JsonObject>(source, 'tokenizer_config.json', read)) ?? {};
  const tokenizer = createTokenizer(tokenizerJson, tokenizerConfig);

  const candidates = manifest?.onnx ? [manifest.onnx] : ONNX_CANDIDATES[opts.dtype ?? 'q8'];
  let onnxFile: string | undefined;
  let onnxBytes: Uint8Array | undefined;
  for (const name of candidates) {
    onnxBytes = await source.read(name, read);
    if (onnxBytes) {
      onnxFile = name;
      break;
    }
  }
  if (!onnxBytes || !onnxFile) throw notFound(source, candidates);
  throwIfAborted(opts.signal);
  const external = await readExternalData(source, onnxFile, onnxBytes, read);
  throwIfAborted(opts.signal);
  // A folder on disk: ONNX Runtime gets the graph's path and finds the side files beside it itself,
  // so no copy of the weights is made in JavaScript (ONNX Runtime copies bytes it is handed).
  const graphPath = source.local !== undefined && external.every((x) => x.path !== undefined) ? (await source.local(onnxFile))?.path : undefined;
  const onnxSample: Uint8Array | FileSample = onnxBytes;

  let session: InferenceSession;
  try {
    if (graphPath !== undefined) {
      onnxBytes = undefined; // only its fingerprint sample is kept (the bytes themselves, for a graph of its size)
      session = await opts.ort.InferenceSession.create(graphPath, opts.sessionOptions);
    } else {
      // Handed over as bytes under the graph's own location names: onnxruntime-node and -web both take them so.
      const sessionOptions = external.length ? { ...opts.sessionOptions, externalData: external.map((x) => ({ path: x.location, data: x.bytes! })) } : opts.sessionOptions;
      session = await opts.ort.InferenceSession.create(onnxBytes, sessionOptions);
    }
  } catch (e) {
    throw new M3SearchError('MODEL_FILES', `${onnxFile} in ${source.location} is not a loadable ONNX model: ${(e as Error).message}`);
  }
  for (const input of ['input_ids', 'attention_mask']) {
    if (!session.inputNames.includes(input)) {
      throw new M3SearchError('MODEL_FILES', `${onnxFile} has no '${input}' input (inputs: ${session.inputNames.join(', ')}); it is not a BERT/XLM-R encoder export.`);
    }
  }

  const outputs = resolveOutputs(session.outputNames, manifest);
  const layout = manifest?.layout ?? inferLayout(outputs, onnxFile, session.outputNames);
  checkOutputs(layout, outputs, onnxFile, session.outputNames);

  // Head weights: declared files must exist; default names are picked up when present.
  const heads: EncoderParts['heads'] = {};
  const headBytes: Uint8Array[] = [];
  if (layout !== 'heads-in-graph') {
    for (const kind of ['sparse', 'colbert'] as const) {
      if (layout === 'splade' && kind === 'sparse') continue;
      const declared = manifest?.heads?.[kind];
      // Undeclared: the safetensors file, else the .pt one an unmodified BGE-M3 folder ships.
      const files = declared ? [declared] : [DEFAULT_HEAD_FILES[kind], DEFAULT_TORCH_HEAD_FILES[kind]];
      let found: { file: string; bytes: Uint8Array } | undefined;
      for (const file of files) {
        const bytes = await source.read(file, read);
        if (bytes) {
          found = { file, bytes };
          break;
        }
      }
      if (!found) {
        if (declared) throw notFound(source, [declared]);
        continue;
      }
      headBytes.push(found.bytes);
      heads[kind] = linearHead(await readHeadFile(found.bytes, found.file, whereOf(source, found.file)), found.file);
    }
  }

  const sparseExclude = new Set(tokenizer.specialIds);
  for (const id of userNoiseIds(tokenizer, opts.noiseTokens ?? [])) sparseExclude.add(id);
  const sparseStyle = outputs.logits ? 'splade' : outputs.sparse || heads.sparse ? 'lexical' : 'none';
  if (opts.punctuationFilter ?? sparseStyle === 'splade') for (const id of punctuationIds(tokenizer)) sparseExclude.add(id);

  // Doc-only ("inference-free") models: the idf table is the whole query side.
  let idfQuery: EncoderParts['idfQuery'];
  let idfBytes: Uint8Array | undefined;
  let tokenizerFiles: EncoderParts['tokenizerFiles'];
  const declared = manifest?.sparse?.query === 'idf';
  if (declared || opts.sparseQuery === 'idf') {
    if (opts.sparseQuery !== undefined && opts.sparseQuery !== 'idf') throw new M3SearchError('INVALID_OPTION', `sparseQuery must be 'idf', not ${JSON.stringify(opts.sparseQuery)}.`, { sparseQuery: opts.sparseQuery });
    // MLM logits (SPLADE) or a lexical head (BGE-M3): documents need a sparse signal for idf queries to meet.
    if (sparseStyle === 'none') {
      const why = declared ? `${whereOf(source, MANIFEST_FILE)} declares sparse.query 'idf'` : "sparseQuery 'idf' was asked for";
      throw new M3SearchError('MODEL_FILES', `${why}, which needs a sparse signal (MLM logits, sparse_weights, or a sparse head file), but ${onnxFile} outputs only ${session.outputNames.join(', ')} and the folder has no sparse head.`, { field: 'sparse.query' });
    }
    const file = manifest?.sparse?.idf ?? DEFAULT_IDF_FILE;
    idfBytes = await source.read(file, read);
    if (!idfBytes && declared) throw notFound(source, [file]);
    if (idfBytes) idfQuery = { idf: parseIdf(parseJson<unknown>(idfBytes, source, file), whereOf(source, file)), tokenizerJson, tokenizerConfig };
    // No table (BGE-M3 publishes none): a site build computes one from its passages.
    else tokenizerFiles = { tokenizerJson, tokenizerConfig };
  }

  const conventions = conventionsOf(manifest, opts.conventions);
  if (conventions.pooling !== 'cls' && !outputs.hidden) {
    throw new M3SearchError('MODEL_FILES', `pooling '${conventions.pooling}' needs the hidden states, but ${onnxFile} outputs only ${session.outputNames.join(', ')}.`, { field: 'pooling' });
  }
  const passLength = await checkedMaxLength(
    source,
    read,
    opts.maxLength,
    opts.conventions ? { value: opts.conventions.maxLength, from: "the index's recorded conventions: maxLength" } : { value: manifest?.maxLength, from: `${whereOf(source, MANIFEST_FILE)}: maxLength` },
    numberOr(tokenizerConfig.model_max_length, 512),
  );
  // Room for the longer prefix is kept out of maxLength, so text sized by it is never cut (+1: a word may merge across the boundary).
  const prefixTokens = Math.max(
    ...[conventions.queryPrefix, conventions.passagePrefix].map((p) => (p ? tokenizer.ids(p, { special: false }).length + 1 : 0)),
  );
  if (passLength - prefixTokens < MIN_MAX_LENGTH) {
    throw new M3SearchError('MODEL_MISMATCH', `The prefixes take ${prefixTokens} of the ${passLength} tokens a pass holds; too few are left for text.`, { field: 'queryPrefix' });
  }
  const info: ModelInfo = {
    modelId: manifest?.modelId ?? source.location,
    layout,
    // Conventions change the vectors as much as the files do; default ones leave BGE-M3's fingerprint as it was.
    fingerprint: fingerprintBytes([onnxSample, ...external.map((x) => x.bytes ?? x.sample!), tokenizerBytes, ...headBytes, ...conventionBytes(conventions), ...(idfBytes ? [idfBytes] : [])]),
    onnxFile,
    ...(external.length ? { externalData: external.map((x) => x.file) } : {}),
    maxLength: passLength - prefixTokens,
    denseDim: 0,
    multiDim: 0,
    vocabSize: tokenizer.vocabSize,
    sparseStyle,
    noiseTokens: sparseExclude.size - tokenizer.specialIds.size,
    hasMulti: Boolean(outputs.colbert || heads.colbert),
    pooling: conventions.pooling,
    normalize: conventions.normalize,
    ...(conventions.queryPrefix ? { queryPrefix: conventions.queryPrefix } : {}),
    ...(conventions.passagePrefix ? { passagePrefix: conventions.passagePrefix } : {}),
    conventions: {
      pooling: conventions.pooling,
      normalize: conventions.normalize,
      ...(conventions.queryPrefix ? { queryPrefix: conventions.queryPrefix } : {}),
      ...(conventions.passagePrefix ? { passagePrefix: conventions.passagePrefix } : {}),
      maxLength: passLength,
    },
    ...(idfQuery ? { sparseQuery: 'idf' as const } : {}),
  };
  if (opts.multiCls !== undefined) {
    if (!Number.isInteger(opts.multiCls) || opts.multiCls < 1) {
      throw new M3SearchError('INVALID_OPTION', 'multiCls must be a positive integer (tokens between [CLS] tokens).', { multiCls: opts.multiCls });
    }
    if (!outputs.hidden) {
      throw new M3SearchError('MODEL_FILES', `multiCls needs the hidden states, but ${onnxFile} outputs only ${session.outputNames.join(', ')}.`);
    }
    if (conventions.pooling !== 'cls') {
      throw new M3SearchError('INVALID_OPTION', `multiCls averages [CLS] states; this model pools '${conventions.pooling}'.`, { multiCls: opts.multiCls });
    }
  }
  const encoder = new M3Encoder({
    session,
    ort: opts.ort,
    tokenizer,
    info,
    outputs,
    colbertIncludesCls: manifest?.colbertIncludesCls,
    heads,
    sparseExclude,
    pruning: opts.pruning,
    multiCls: opts.multiCls,
    conventions,
    passLength,
    idfQuery,
    tokenizerFiles,
  });
  await probe(encoder, heads, info);
  return encoder;
}

interface ExternalFile {
  /** The name the graph gives it (relative to the .onnx file's folder). */
  location: string;
  /** Its path in the source. */
  file: string;
  /** Its bytes (a source that is not a folder on disk), or its path on disk and what the fingerprint samples of it. */
  bytes?: Uint8Array;
  path?: string;
  sample?: FileSample;
}

/** The external-data files the graph names, read beside it (with progress, cancellable); a missing one is MODEL_FILES naming it. */
async function readExternalData(source: ModelSource, onnxFile: string, onnxBytes: Uint8Array, read: ReadOptions): Promise<ExternalFile[]> {
  const out: ExternalFile[] = [];
  for (const location of externalDataLocations(onnxBytes, whereOf(source, onnxFile))) {
    const file = externalDataPath(onnxFile, location);
    const local = await source.local?.(file);
    if (local !== undefined) {
      // Streamed once for the fingerprint (with progress, cancellable), never held whole.
      const sampler = new FileSampler(local.size);
      await local.scan((bytes, offset) => sampler.add(bytes, offset), read);
      out.push({ location, file, path: local.path, sample: sampler.sample() });
      continue;
    }
    const bytes = await source.read(file, read);
    if (!bytes) {
      const url = whereOf(source, file);
      const why = source.whyMissing?.(file);
      const details: ModelFileErrorDetails = { url, location: source.location, reason: 'not-found' };
      throw new M3SearchError('MODEL_FILES', `${url} was not found${why ? ` (${why})` : ''}; ${onnxFile} keeps its weights in it (ONNX external data), so the model folder needs it.`, { ...details });
    }
    out.push({ location, file, bytes });
  }
  return out;
}

/** One forward pass on a tiny input: learns the dimensions and proves graph, heads and tokenizer fit. */
async function probe(encoder: M3Encoder, heads: EncoderParts['heads'], info: ModelInfo): Promise<void> {
  // The highest vocabulary id is included: a tokenizer that does not belong to
  // the graph fails here, at load, instead of on some later document.
  const ids = encoder.tokenize('m3search probe').ids;
  ids.splice(ids.length - 1, 0, info.vocabSize - 1);
  let enc;
  try {
    enc = (await encoder.encodeIds([ids]))[0]!;
  } catch (e) {
    throw new M3SearchError('MODEL_MISMATCH', `The model's files do not fit together: ${(e as Error).message}`);
  }
  info.denseDim = enc.dense.length;
  info.multiDim = enc.multi.dim;
  for (const head of [heads.sparse, heads.colbert]) {
    if (head && head.inDim !== info.denseDim) {
      throw new M3SearchError('MODEL_MISMATCH', `A head file expects hidden size ${head.inDim} but the encoder produces ${info.denseDim}.`);
    }
  }
  encoder.passes = 0;
}

function resolveOutputs(names: readonly string[], manifest?: ModelManifest): EncoderParts['outputs'] {
  const pick = (kind: keyof typeof DEFAULT_OUTPUT_NAMES): string | undefined => {
    const wanted = manifest?.outputs?.[kind];
    if (wanted) return names.includes(wanted) ? wanted : undefined;
    return DEFAULT_OUTPUT_NAMES[kind].find((n) => names.includes(n));
  };
  return { hidden: pick('hidden'), dense: pick('dense'), sparse: pick('sparse'), colbert: pick('colbert'), logits: pick('logits') };
}

function inferLayout(o: EncoderParts['outputs'], file: string, names: readonly string[]): OutputLayout {
  if (o.logits) return 'splade';
  if (o.dense && (o.sparse || o.colbert)) return 'heads-in-graph';
  if (o.hidden) return 'hidden-state';
  throw new M3SearchError('MODEL_FILES', `Cannot tell how to read ${file}: its outputs are ${names.join(', ')}. Add an m3search.json manifest naming them.`);
}

function checkOutputs(layout: OutputLayout, o: EncoderParts['outputs'], file: string, names: readonly string[]): void {
  const need: Record<OutputLayout, (keyof EncoderParts['outputs'])[]> = {
    'heads-in-graph': ['dense', 'sparse', 'colbert'],
    'hidden-state': ['hidden'],
    splade: ['logits'],
  };
  const absent = need[layout].filter((k) => !o[k]);
  if (absent.length) {
    throw new M3SearchError('MODEL_FILES', `${file} is declared '${layout}' but lacks the ${absent.join(', ')} output(s); it has ${names.join(', ')}.`);
  }
}

/** Pooling, normalization and prefixes: an index's recorded ones, else the manifest's (or preset's), else BGE-M3's. */
function conventionsOf(m: ModelManifest | undefined, recorded: ModelConventions | undefined): Conventions {
  if (recorded) return { pooling: recorded.pooling, normalize: recorded.normalize, queryPrefix: recorded.queryPrefix ?? '', passagePrefix: recorded.passagePrefix ?? '' };
  return {
    pooling: m?.pooling ?? DEFAULT_CONVENTIONS.pooling,
    normalize: m?.normalize ?? DEFAULT_CONVENTIONS.normalize,
    queryPrefix: m?.queryPrefix ?? DEFAULT_CONVENTIONS.queryPrefix,
    passagePrefix: m?.passagePrefix ?? DEFAULT_CONVENTIONS.passagePrefix,
  };
}

function conventionBytes(c: Conventions): Uint8Array[] {
  const d = DEFAULT_CONVENTIONS;
  if (c.pooling === d.pooling && c.normalize === d.normalize && c.queryPrefix === d.queryPrefix && c.passagePrefix === d.passagePrefix) return [];
  return [new TextEncoder().encode(JSON.stringify([c.pooling, c.normalize, c.queryPrefix, c.passagePrefix]))];
}

/** A head file's tensors: PyTorch `.pt` (zip + pickle) or safetensors. */
async function readHeadFile(bytes: Uint8Array, file: string, where: string): Promise<Map<string, NamedTensor>> {
  // The name decides; a name that says neither is sniffed for the zip magic "PK".
  const torch = /\.(pt|pth|bin)$/i.test(file) || (!/\.safetensors$/i.test(file) && bytes[0] === 0x50 && bytes[1] === 0x4b);
  return torch ? parseTorchStateDict(bytes, where) : parseSafetensors(bytes, file);
}

function linearHead(tensors: Map<string, NamedTensor>, file: string): LinearHead {
  const weight = tensors.get('weight');
  const bias = tensors.get('bias');
  if (!weight || weight.shape.length !== 2) throw new M3SearchError('MODEL_FILES', `${file} has no 2-D 'weight' tensor.`);
  const [outDim, inDim] = weight.shape as [number, number];
  if (bias && bias.data.length !== outDim) throw new M3SearchError('MODEL_FILES', `${file}: 'bias' has ${bias.data.length} entries, expected ${outDim}.`);
  return { weight: weight.data, bias: bias?.data ?? new Float32Array(outDim), outDim, inDim };
}

/**
 * The max length in use (option, then manifest, then tokenizer config), checked
 * against the model's position table when its config.json says how large it
 * is: a longer input would fail inside the graph on the first long document.
 */
async function checkedMaxLength(
  source: ModelSource,
  read: { signal?: AbortSignal; onProgress?: (p: FileProgress) => void },
  option: number | undefined,
  declared: { value: number | undefined; from: string },
  fallback: number,
): Promise<number> {
  if (option !== undefined && !(Number.isInteger(option) && option >= MIN_MAX_LENGTH)) {
    throw new M3SearchError('INVALID_OPTION', `maxLength must be an integer ≥ ${MIN_MAX_LENGTH}.`, { maxLength: option });
  }
  const maxLength = option ?? declared.value ?? fallback;
  if (option === undefined && declared.value === undefined) return maxLength;
  // Only read when a length was asked for: the default comes from the model's own tokenizer config.
  let config: unknown;
  try {
    config = await readJson<unknown>(source, 'config.json', read);
  } catch {
    config = undefined; // config.json is optional; an unreadable one proves nothing either way
  }
  const positions = modelPositions(config);
  if (positions !== undefined && maxLength > positions) {
    const from = option !== undefined ? 'the maxLength option' : declared.from;
    throw new M3SearchError('MODEL_MISMATCH', `${from} is ${maxLength}, but the model has ${positions} token positions (config.json).`, {
      field: 'maxLength',
      maxLength,
      positions,
    });
  }
  return maxLength;
}

function numberOr(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 && v < 1e6 ? v : fallback;
}
