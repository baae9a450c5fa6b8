// A minimal protobuf writer and the handful of ONNX messages the test-model
// generator needs. Hand-written so no protobuf schema or library is involved;
// field numbers follow onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto).

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

/** Appends protobuf fields; `finish()` returns the encoded message. */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private scratch: number[] = [];
  private size = 0;

  private flushScratch(): void {
    if (this.scratch.length === 0) return;
    this.chunks.push(Uint8Array.from(this.scratch));
    this.size += this.scratch.length;
    this.scratch = [];
  }

  private pushBytes(bytes: Uint8Array): void {
    this.flushScratch();
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  /** Unsigned or negative (two's complement, 10 bytes) 64-bit varint. */
  private varint(value: number | bigint): void {
    if (typeof value === 'number') {
      if (!Number.isInteger(value)) throw new Error(`varint needs an integer, got ${value}`);
      if (value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
        // Division instead of >>> so values above 2^31 survive.
        let v = value;
        while (v >= 0x80) {
          this.scratch.push((v % 0x80) | 0x80);
          v = Math.floor(v / 0x80);
        }
        this.scratch.push(v);
        return;
      }
      value = BigInt(value);
    }
    let v = BigInt.asUintN(64, value);
    while (v >= 0x80n) {
      this.scratch.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.scratch.push(Number(v));
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  int(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.pushBytes(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.varint(value.length);
    this.pushBytes(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** An embedded message is a length-delimited field holding its encoding. */
  message(field: number, encoded: Uint8Array): this {
    return this.bytes(field, encoded);
  }

  /** Packed repeated varints (parsers accept packed for proto2 repeated scalars too). */
  packedInts(field: number, values: ReadonlyArray<number | bigint>): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    return this.bytes(field, inner.finish());
  }

  packedFloats(field: number, values: ArrayLike<number>): this {
    return this.bytes(field, float32LE(values));
  }

  finish(): Uint8Array {
    this.flushScratch();
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** Little-endian float32 bytes, whatever the host byte order. */
export function float32LE(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return out;
}

/** Little-endian IEEE float16 bytes (round to nearest even; overflow → ±Inf, tiny values → subnormals/0). */
export function float16LE(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < values.length; i++) {
    f[0] = values[i]!;
    const x = u[0]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    const mant = x & 0x7fffff;
    let h: number;
    if (exp === 0xff) h = sign | 0x7c00 | (mant ? 0x200 : 0);
    else {
      const e = exp - 127 + 15;
      if (e >= 0x1f) h = sign | 0x7c00;
      else if (e <= 0) {
        if (e < -10) h = sign;
        else {
          const m = mant | 0x800000;
          const shift = 14 - e;
          let v = m >>> shift;
          const rem = m & ((1 << shift) - 1);
          const half = 1 << (shift - 1);
          if (rem > half || (rem === half && v & 1)) v++;
          h = sign | v;
        }
      } else {
        let v = (e << 10) | (mant >>> 13);
        const rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem === 0x1000 && v & 1)) v++; // may carry into the exponent, as it should
        h = sign | v;
      }
    }
    view.setUint16(i * 2, h, true);
  }
  return out;
}

export function int64LE(values: ReadonlyArray<number | bigint>): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setBigInt64(i * 8, BigInt(values[i]!), true);
  return out;
}

// ---------------------------------------------------------------------------
// ONNX messages

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT64: 7, FLOAT16: 10 } as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

/** AttributeProto.AttributeType values. */
const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/** An encoded AttributeProto. */
export type Attribute = { readonly kind: 'attribute'; readonly bytes: Uint8Array };

function attribute(name: string, fill: (w: ProtoWriter) => void, type: number): Attribute {
  const w = new ProtoWriter().string(1, name);
  fill(w);
  w.int(20, type);
  return { kind: 'attribute', bytes: w.finish() };
}

export const attr = {
  float: (name: string, v: number) => attribute(name, (w) => w.float(2, v), AttrType.FLOAT),
  int: (name: string, v: number | bigint) => attribute(name, (w) => w.int(3, v), AttrType.INT),
  string: (name: string, v: string) => attribute(name, (w) => w.string(4, v), AttrType.STRING),
  tensor: (name: string, t: Uint8Array) => attribute(name, (w) => w.message(5, t), AttrType.TENSOR),
  floats: (name: string, v: ArrayLike<number>) => attribute(name, (w) => w.packedFloats(7, v), AttrType.FLOATS),
  ints: (name: string, v: ReadonlyArray<number | bigint>) => attribute(name, (w) => w.packedInts(8, v), AttrType.INTS),
};

/** TensorProto with little-endian `raw_data`. */
export function tensorProto(name: string, dataType: DataTypeCode, dims: readonly number[], raw: Uint8Array): Uint8Array {
  const w = new ProtoWriter();
  if (dims.length > 0) w.packedInts(1, dims);
  w.int(2, dataType);
  w.string(8, name);
  w.bytes(9, raw);
  return w.finish();
}

/** TensorProto whose bytes live in a side file (`data_location = EXTERNAL`), as onnx's `save_as_external_data` writes it. */
export function externalTensorProto(name: string, dataType: DataTypeCode, dims: readonly number[], at: { location: string; offset: number; length: number }): Uint8Array {
  const w = new ProtoWriter();
  if (dims.length > 0) w.packedInts(1, dims);
  w.int(2, dataType);
  w.string(8, name);
  for (const [key, value] of [['location', at.location], ['offset', String(at.offset)], ['length', String(at.length)]] as const) {
    w.message(13, new ProtoWriter().string(1, key).string(2, value).finish());
  }
  w.int(14, 1);
  return w.finish();
}

export interface NodeSpec {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  attributes?: readonly Attribute[];
  domain?: string;
}

export function nodeProto(n: NodeSpec): Uint8Array {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.opType);
  for (const a of n.attributes ?? []) w.message(5, a.bytes);
  if (n.domain) w.string(7, n.domain);
  return w.finish();
}

/** A dimension is a fixed size (number) or a symbolic name ("batch", "sequence"). */
export type Dim = number | string;

export function valueInfoProto(name: string, elemType: DataTypeCode, dims: readonly Dim[]): Uint8Array {
  const shape = new ProtoWriter();
  for (const d of dims) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim.finish());
  }
  const tensorType = new ProtoWriter().int(1, elemType).message(2, shape.finish()).finish();
  const typeProto = new ProtoWriter().message(1, tensorType).finish();
  return new ProtoWriter().string(1, name).message(2, typeProto).finish();
}

export interface GraphSpec {
  name: string;
  nodes: readonly Uint8Array[];
  initializers: readonly Uint8Array[];
  inputs: readonly Uint8Array[];
  outputs: readonly Uint8Array[];
}

export function graphProto(g: GraphSpec): Uint8Array {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, n);
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, t);
  for (const i of g.inputs) w.message(11, i);
  for (const o of g.outputs) w.message(12, o);
  return w.finish();
}

export interface ModelSpec {
  graph: Uint8Array;
  irVersion?: number;
  producerName?: string;
  /** Opsets by domain ("" is the default ONNX domain). */
  opsets?: ReadonlyArray<{ domain: string; version: number }>;
}

export function modelProto(m: ModelSpec): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, m.irVersion ?? 8);
  w.string(2, m.producerName ?? 'm3search-test-model');
  w.message(7, m.graph);
  for (const o of m.opsets ?? [{ domain: '', version: 17 }]) {
    const op = new ProtoWriter();
    if (o.domain) op.string(1, o.domain);
    op.int(2, o.version);
    w.message(8, op.finish());
  }
  return w.finish();
}

// ---------------------------------------------------------------------------
// Reading, for rewriting a model (see ./external.ts)

/** One field as it sits in the message: `raw` is tag + payload (copied verbatim when kept). */
export interface RawField {
  field: number;
  wire: number;
  raw: Uint8Array;
  /** Length-delimited fields: the payload. */
  payload?: Uint8Array;
}

export function readFields(buf: Uint8Array): RawField[] {
  const out: RawField[] = [];
  let at = 0;
  const varint = (): number => {
    let v = 0;
    let scale = 1;
    for (;;) {
      const b = buf[at++];
      if (b === undefined) throw new Error('truncated varint');
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 128;
    }
  };
  while (at < buf.length) {
    const start = at;
    const tag = varint();
    const wire = tag % 8;
    let payload: Uint8Array | undefined;
    if (wire === WIRE_VARINT) varint();
    else if (wire === WIRE_LEN) {
      const len = varint();
      payload = buf.subarray(at, at + len);
      at += len;
    } else if (wire === WIRE_FIXED32) at += 4;
    else if (wire === 1) at += 8;
    else throw new Error(`wire type ${wire}`);
    out.push({ field: Math.floor(tag / 8), wire, raw: buf.subarray(start, at), ...(payload ? { payload } : {}) });
  }
  return out;
}

/** Concatenates encoded fields into one message. */
export function joinFields(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
