// Rewrites a model's large initializers into ONNX external data, as
// `onnx.save_model(..., save_as_external_data=True)` does for BGE-M3's fp32
// export: each moved TensorProto loses `raw_data` and gains
// `data_location = EXTERNAL` plus `external_data` entries location / offset /
// length; the bytes go, in graph order, into one side file. Same weights, so
// the model computes exactly what the inline one does.
import { joinFields, ProtoWriter, readFields } from './protobuf.js';

export interface ExternalModel {
  /** The graph protobuf, its large initializers external. */
  graph: Uint8Array;
  /** The side file the graph names as `location`. */
  data: Uint8Array;
  /** Initializers moved. */
  moved: number;
}

export interface ExternalizeOptions {
  /** The side file's name, relative to the .onnx file (default `model.onnx_data`). */
  location?: string;
  /** Tensors whose raw data is at least this many bytes move (default 1024, onnx's `size_threshold`). */
  threshold?: number;
  /** Offsets are aligned to this many bytes (default 64). */
  align?: number;
}

const GRAPH = 7;
const INITIALIZER = 5;
const RAW_DATA = 9;
const EXTERNAL_DATA = 13;
const DATA_LOCATION = 14;

export function externalize(model: Uint8Array, opts: ExternalizeOptions = {}): ExternalModel {
  const location = opts.location ?? 'model.onnx_data';
  const threshold = opts.threshold ?? 1024;
  const align = opts.align ?? 64;
  const chunks: Uint8Array[] = [];
  let size = 0;
  let moved = 0;

  const tensor = (t: Uint8Array): Uint8Array => {
    const fields = readFields(t);
    const raw = fields.find((f) => f.field === RAW_DATA);
    if (!raw?.payload || raw.payload.length < threshold) return t;
    const pad = (align - (size % align)) % align;
    if (pad) chunks.push(new Uint8Array(pad));
    const offset = size + pad;
    chunks.push(raw.payload.slice());
    size = offset + raw.payload.length;
    moved++;
    const w = new ProtoWriter();
    for (const [key, value] of [['location', location], ['offset', String(offset)], ['length', String(raw.payload.length)]] as const) {
      w.message(EXTERNAL_DATA, new ProtoWriter().string(1, key).string(2, value).finish());
    }
    w.int(DATA_LOCATION, 1);
    return joinFields([...fields.filter((f) => f.field !== RAW_DATA).map((f) => f.raw), w.finish()]);
  };

  const graph = (g: Uint8Array): Uint8Array =>
    joinFields(readFields(g).map((f) => (f.field === INITIALIZER && f.payload ? new ProtoWriter().message(INITIALIZER, tensor(f.payload)).finish() : f.raw)));

  const out = joinFields(readFields(model).map((f) => (f.field === GRAPH && f.payload ? new ProtoWriter().message(GRAPH, graph(f.payload)).finish() : f.raw)));
  return { graph: out, data: joinFields(chunks), moved };
}
