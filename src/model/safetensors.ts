// Reads the safetensors format (8-byte little-endian header length, a JSON
// header, then raw little-endian tensor bytes). Used for the sparse and
// ColBERT head weights of `hidden-state` models; only float dtypes are needed.
import { M3SearchError } from '../core/errors.js';
import { float16ToFloat32 } from '../core/quantize.js';

export interface NamedTensor {
  dtype: string;
  shape: number[];
  data: Float32Array;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export function parseSafetensors(bytes: Uint8Array, fileName = 'safetensors file'): Map<string, NamedTensor> {
  const bad = (why: string) => new M3SearchError('MODEL_FILES', `${fileName} is not a valid safetensors file: ${why}.`);
  if (bytes.byteLength < 8) throw bad('too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen <= 0 || 8 + headerLen > bytes.byteLength) throw bad('header length out of range');
  let header: Record<string, HeaderEntry | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch {
    throw bad('header is not JSON');
  }
  const base = 8 + headerLen;
  const out = new Map<string, NamedTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets } = entry as HeaderEntry;
    const [start, end] = data_offsets;
    if (base + end > bytes.byteLength || start > end) throw bad(`tensor ${name} lies outside the file`);
    const raw = bytes.slice(base + start, base + end); // copy: aligned, detached from the file buffer
    const count = shape.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    if (dtype === 'F32') data = new Float32Array(raw.buffer, 0, count);
    else if (dtype === 'F16') data = float16ToFloat32(new Uint16Array(raw.buffer, 0, count));
    else if (dtype === 'BF16') {
      const src = new Uint16Array(raw.buffer, 0, count);
      const wide = new Uint32Array(count);
      for (let i = 0; i < count; i++) wide[i] = src[i]! << 16;
      data = new Float32Array(wide.buffer);
    } else throw bad(`tensor ${name} has unsupported dtype ${dtype}`);
    out.set(name, { dtype, shape, data });
  }
  return out;
}
