// `m3search/engine`: the search engine for Node and workers (an encoder plus an
// in-memory index), and the Node model loader (onnxruntime-node).
export { M3Search } from './engine.js';
export type { AddOptions, AddProgress, AddReport, EngineSearchOptions, EngineOptions, LongDocumentOptions, LongDocuments, RemoveReport } from './engine.js';
export type { Store, StoredPut } from './store.js';
export type { Encoder, EncoderInfo, EncoderTokenizer, EncodeOptions } from '../core/encoder.js';
export { loadModel, type NodeLoadOptions } from '../node/load-model.js';
export { M3SearchError, isM3SearchError, type ErrorCode } from '../core/errors.js';
export type {
  Doc,
  Encoded,
  Fusion,
  Hit,
  HitWindow,
  IndexOptions,
  Metadata,
  Mode,
  MultiVector,
  SearchOptions,
  Signal,
  SignalScore,
  SparseVector,
  Weights,
} from '../core/types.js';
export type { M3Encoder, ModelInfo } from '../model/encoder.js';
export { MODEL_PRESETS, type ModelPreset, type PresetName, type PresetOption } from '../model/presets.js';
