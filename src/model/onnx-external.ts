// ONNX external data: a graph over 2 GB (BGE-M3's fp32 export) keeps its
// weights in a side file (`onnx/model.onnx` + `onnx/model.onnx_data`). Each
// such initializer has `data_location = EXTERNAL` and `external_data` entries
// naming the file (`location`, relative to the .onnx file's folder). This module
// reads those names off the graph protobuf, so the loader fetches exactly the
// files the graph needs instead of guessing them. Field numbers follow
// onnx.proto; only the messages that can hold a tensor are walked, and every
// other field (weights included) is skipped by its length.
import { M3SearchError } from '../core/errors.js';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;
/** TensorProto.DataLocation.EXTERNAL */
const EXTERNAL = 1;

/** One protobuf field: its number, and for length-delimited fields the bytes; for varints the value. */
type Field = { field: number; wire: typeof WIRE_LEN; bytes: Uint8Array } | { field: number; wire: typeof WIRE_VARINT; value: number } | { field: number; wire: 1 | 5 };

class Malformed extends Error {}

function* fields(buf: Uint8Array): Generator<Field> {
  let at = 0;
  const varint = (): number => {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (at >= buf.length) throw new Malformed('truncated varint');
      const b = buf[at++]!;
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 128;
    }
    throw new Malformed('varint too long');
  };
  while (at < buf.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === WIRE_VARINT) yield { field, wire, value: varint() };
    else if (wire === WIRE_LEN) {
      const len = varint();
      if (at + len > buf.length) throw new Malformed('field runs past the end');
      yield { field, wire, bytes: buf.subarray(at, at + len) };
      at += len;
    } else if (wire === WIRE_FIXED64 || wire === WIRE_FIXED32) {
      at += wire === WIRE_FIXED64 ? 8 : 4;
      yield { field, wire };
    } else throw new Malformed(`wire type ${wire}`);
  }
  if (at !== buf.length) throw new Malformed('field runs past the end');
}

/** Length-delimited fields of `buf` with number `n`. */
function* messages(buf: Uint8Array, ...n: number[]): Generator<Uint8Array> {
  for (const f of fields(buf)) if (f.wire === WIRE_LEN && n.includes(f.field)) yield f.bytes;
}

const utf8 = new TextDecoder();

/** TensorProto: its external file name, when its data is external. */
function tensorLocation(t: Uint8Array): string | undefined {
  let external = false;
  let location: string | undefined;
  for (const f of fields(t)) {
    if (f.field === 14 && f.wire === WIRE_VARINT) external = f.value === EXTERNAL;
    else if (f.field === 13 && f.wire === WIRE_LEN) {
      let key = '';
      let value = '';
      for (const e of fields(f.bytes)) {
        if (e.wire !== WIRE_LEN) continue;
        if (e.field === 1) key = utf8.decode(e.bytes);
        else if (e.field === 2) value = utf8.decode(e.bytes);
      }
      if (key === 'location') location = value;
    }
  }
  if (!external) return undefined;
  if (location === undefined) throw new Malformed('an external tensor names no location');
  return location;
}

function scanGraph(g: Uint8Array, out: Set<string>): void {
  for (const f of fields(g)) {
    if (f.wire !== WIRE_LEN) continue;
    if (f.field === 5) addTensor(f.bytes, out); // initializer
    else if (f.field === 15) scanSparse(f.bytes, out); // sparse_initializer
    else if (f.field === 1) scanNode(f.bytes, out); // node
  }
}

function addTensor(t: Uint8Array, out: Set<string>): void {
  const loc = tensorLocation(t);
  if (loc !== undefined) out.add(loc);
}

/** SparseTensorProto: values (1) and indices (2) are tensors. */
function scanSparse(s: Uint8Array, out: Set<string>): void {
  for (const t of messages(s, 1, 2)) addTensor(t, out);
}

/** NodeProto: attributes (5) may hold tensors (Constant) and subgraphs (If, Loop, Scan). */
function scanNode(n: Uint8Array, out: Set<string>): void {
  for (const a of messages(n, 5)) {
    for (const f of fields(a)) {
      if (f.wire !== WIRE_LEN) continue;
      if (f.field === 5 || f.field === 10) addTensor(f.bytes, out); // t, tensors
      else if (f.field === 6 || f.field === 11) scanGraph(f.bytes, out); // g, graphs
      else if (f.field === 22 || f.field === 23) scanSparse(f.bytes, out); // sparse_tensor(s)
    }
  }
}

/**
 * The external-data file names a serialized ONNX ModelProto refers to, in
 * first-use order (paths relative to the .onnx file's folder, as written).
 * Bytes that do not parse as a model give none: ONNX Runtime then reports the
 * file as unloadable. A name that would leave the model folder is refused.
 */
export function externalDataLocations(model: Uint8Array, file = 'the ONNX file'): string[] {
  const out = new Set<string>();
  try {
    for (const f of fields(model)) {
      if (f.wire !== WIRE_LEN) continue;
      if (f.field === 7) scanGraph(f.bytes, out); // graph
      else if (f.field === 25) for (const n of messages(f.bytes, 7)) scanNode(n, out); // functions' nodes
    }
  } catch (e) {
    if (e instanceof Malformed) return [];
    throw e;
  }
  for (const loc of out) checkLocation(loc, file);
  return [...out];
}

/**
 * A location must name a file inside the model folder: no absolute path, drive,
 * URL, backslash, `..` segment or percent escape (a URL reads `%2e%2e` as
 * `..`): a hostile graph must not read `/etc/passwd` through the Node folder
 * source, nor another URL in the browser.
 */
function checkLocation(loc: string, file: string): void {
  const segments = loc.split('/');
  const bad =
    loc === '' ||
    loc.startsWith('/') ||
    /[\\:?#%\0]/.test(loc) ||
    segments.some((s) => s === '..' || s === '');
  if (bad) {
    throw new M3SearchError('MODEL_FILES', `${file} keeps weights in the external file ${JSON.stringify(loc)}, which is not a plain name inside the model folder; refusing to read it.`, {
      location: loc,
      reason: 'malformed',
    });
  }
}

/** The source path of an external-data file: `location` beside the .onnx file (`onnx/model.onnx` + `model.onnx_data` → `onnx/model.onnx_data`). */
export function externalDataPath(onnxFile: string, location: string): string {
  const slash = onnxFile.lastIndexOf('/');
  const loc = location.startsWith('./') ? location.slice(2) : location;
  return slash < 0 ? loc : `${onnxFile.slice(0, slash + 1)}${loc}`;
}
