// A tiny safetensors writer: 8-byte little-endian header length, a JSON header
// (dtype, shape, data_offsets relative to the data section), then raw bytes.
import { float32LE } from './protobuf.js';

export interface F32Tensor {
  shape: readonly number[];
  data: ArrayLike<number>;
}

export function writeSafetensors(tensors: Record<string, F32Tensor>, metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const blobs: Uint8Array[] = [];
  let offset = 0;
  // Sorted names, as the Python writer does, so the bytes never depend on key order.
  for (const name of Object.keys(tensors).sort()) {
    const t = tensors[name]!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`${name}: shape ${t.shape} does not hold ${t.data.length} values`);
    const bytes = float32LE(t.data);
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + bytes.length] };
    blobs.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data section starts 8-byte aligned (what the reference writer does).
  while ((8 + new TextEncoder().encode(json).length) % 8 !== 0) json += ' ';
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const b of blobs) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}
