// Writes the bytes torch.save(module.state_dict(), 'name.pt') writes, without
// PyTorch (tests only). Layout, from torch/serialization.py (`_save`) and
// Python's Lib/pickle.py (protocol 2, `save_reduce`, `_batch_setitems`):
//
// ZIP, every entry stored, each entry's data 64-byte aligned by padding the
// local header's extra field (id 0x4246 "FB", as PyTorchStreamWriter does):
//   <name>/data.pkl   the pickle below
//   <name>/byteorder  "little"
//   <name>/data/<k>   storage k's elements, little-endian
//   <name>/version    "3\n"
//
// data.pkl for OrderedDict([('weight', W), ('bias', b)]) with _metadata:
//   80 02                                  PROTO 2
//   c collections\nOrderedDict\n  q 00       GLOBAL, BINPUT 0
//   ) R q 01                               EMPTY_TUPLE, REDUCE, BINPUT
//   (                                      MARK
//     X "weight" q ..                      BINUNICODE key
//     c torch._utils\n_rebuild_tensor_v2\n q ..
//     (                                    MARK (args)
//       ( X "storage" c torch\nFloatStorage\n X "0" X "cpu" J numel t   persistent id tuple
//       Q                                  BINPERSID
//       K offset  (K/M… size) t  (… stride) t  89 (requires_grad False)
//       h 00 ) R                           backward_hooks = OrderedDict()
//     t R                                  TUPLE, REDUCE → the tensor
//     … "bias" likewise …
//   u                                      SETITEMS
//   } X "_metadata" h 00 ) R X "" } X "version" K 01 s s s   state dict
//   b .                                    BUILD, STOP
// (every pushed object is also memoized with BINPUT, as pickle does).

export interface PtTensor {
  shape: readonly number[];
  data: ArrayLike<number>;
  dtype?: 'float32' | 'float16';
  /** Elements of padding before the tensor in its storage (a view with an offset). */
  offset?: number;
  /** Strides written into the pickle (default contiguous). */
  stride?: readonly number[];
}

/** A pickle writer for the opcodes torch.save emits; memoizes like Python's pickler. */
export class PickleWriter {
  private out: number[] = [];
  private memo = 0;
  bytes(...b: number[]): this {
    this.out.push(...b);
    return this;
  }
  put(): this {
    const i = this.memo++;
    return i < 256 ? this.bytes(0x71, i) : this.bytes(0x72, i & 255, (i >> 8) & 255, (i >> 16) & 255, i >>> 24);
  }
  global(module: string, name: string): this {
    return this.bytes(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`)).put();
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.bytes(0x58, b.length & 255, (b.length >> 8) & 255, (b.length >> 16) & 255, b.length >>> 24, ...b).put();
  }
  int(n: number): this {
    if (n < 256) return this.bytes(0x4b, n);
    if (n < 65536) return this.bytes(0x4d, n & 255, n >> 8);
    return this.bytes(0x4a, n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255);
  }
  /** A tuple of ints: TUPLE1-3 for short ones, MARK … TUPLE otherwise (then memoized). */
  intTuple(v: readonly number[]): this {
    if (v.length === 0) return this.bytes(0x29);
    if (v.length <= 3) {
      for (const x of v) this.int(x);
      return this.bytes([0x85, 0x86, 0x87][v.length - 1]!).put();
    }
    this.bytes(0x28);
    for (const x of v) this.int(x);
    return this.bytes(0x74).put();
  }
  done(): Uint8Array {
    return Uint8Array.from([...this.out, 0x2e]);
  }
}

/** data.pkl of a state dict whose tensor i lives in storage key String(i). */
export function statePickle(tensors: Record<string, PtTensor>): Uint8Array {
  const w = new PickleWriter().bytes(0x80, 0x02);
  w.global('collections', 'OrderedDict'); // memo 0
  w.bytes(0x29, 0x52).put();
  w.bytes(0x28);
  Object.entries(tensors).forEach(([name, t], i) => {
    w.str(name);
    w.global('torch._utils', '_rebuild_tensor_v2');
    w.bytes(0x28);
    w.bytes(0x28).str('storage').global('torch', t.dtype === 'float16' ? 'HalfStorage' : 'FloatStorage').str(String(i)).str('cpu').int(storageNumel(t)).bytes(0x74).put();
    w.bytes(0x51);
    w.int(t.offset ?? 0).intTuple(t.shape).intTuple(t.stride ?? contiguous(t.shape));
    w.bytes(0x89);
    w.bytes(0x68, 0x00, 0x29, 0x52).put(); // backward_hooks: OrderedDict()
    w.bytes(0x74).put().bytes(0x52).put();
  });
  w.bytes(0x75);
  // state: {'_metadata': OrderedDict([('', {'version': 1})])}, then BUILD.
  w.bytes(0x7d).put().str('_metadata');
  w.bytes(0x68, 0x00, 0x29, 0x52).put();
  w.str('').bytes(0x7d).put().str('version').int(1).bytes(0x73).bytes(0x73);
  w.bytes(0x73);
  w.bytes(0x62);
  return w.done();
}

function contiguous(shape: readonly number[]): number[] {
  const s: number[] = [];
  let n = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = n;
    n *= shape[i]!;
  }
  return s;
}

function storageNumel(t: PtTensor): number {
  return (t.offset ?? 0) + t.data.length;
}

function storageBytes(t: PtTensor): Uint8Array {
  const n = storageNumel(t);
  const half = t.dtype === 'float16';
  const out = new Uint8Array(n * (half ? 2 : 4));
  const v = new DataView(out.buffer);
  for (let i = 0; i < t.data.length; i++) {
    const at = (t.offset ?? 0) + i;
    if (half) v.setUint16(at * 2, toHalf(t.data[i]!), true);
    else v.setFloat32(at * 4, t.data[i]!, true);
  }
  return out;
}

/** float32 → IEEE half (round to nearest; enough for test values on a coarse grid). */
function toHalf(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const mant = u & 0x7fffff;
  if (x === 0) return sign;
  if (exp <= 0 || exp >= 31) throw new Error(`${x} is outside the half range used in tests`);
  return sign | (exp << 10) | Math.round(mant / 8192);
}

export interface ZipFile {
  name: string;
  data: Uint8Array;
  /** Deflate it (raw) instead of storing. */
  deflate?: (b: Uint8Array) => Uint8Array;
}

/** A ZIP archive of the files (stored; 64-byte aligned data as torch writes it). */
export function zip(files: readonly ZipFile[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const f of files) {
    const name = new TextEncoder().encode(f.name);
    const body = f.deflate ? f.deflate(f.data) : f.data;
    const crc = crc32(f.data);
    // Extra field "FB" pads the data start to a multiple of 64.
    let pad = (64 - ((offset + 30 + name.length + 4) % 64)) % 64;
    const extra = new Uint8Array(4 + pad);
    new DataView(extra.buffer).setUint16(0, 0x4246, true);
    new DataView(extra.buffer).setUint16(2, pad, true);
    pad = 0;
    const local = new Uint8Array(30 + name.length + extra.length);
    const l = new DataView(local.buffer);
    l.setUint32(0, 0x04034b50, true);
    l.setUint16(4, 20, true);
    l.setUint16(8, f.deflate ? 8 : 0, true);
    l.setUint32(14, crc, true);
    l.setUint32(18, body.length, true);
    l.setUint32(22, f.data.length, true);
    l.setUint16(26, name.length, true);
    l.setUint16(28, extra.length, true);
    local.set(name, 30);
    local.set(extra, 30 + name.length);
    const c = new Uint8Array(46 + name.length);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, f.deflate ? 8 : 0, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, f.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    c.set(name, 46);
    central.push(c);
    parts.push(local, body);
    offset += local.length + body.length;
  }
  const dirSize = central.reduce((n, c) => n + c.length, 0);
  const end = new Uint8Array(22);
  const e = new DataView(end.buffer);
  e.setUint32(0, 0x06054b50, true);
  e.setUint16(8, files.length, true);
  e.setUint16(10, files.length, true);
  e.setUint32(12, dirSize, true);
  e.setUint32(16, offset, true);
  return concat([...parts, ...central, end]);
}

/** A `.pt` file as torch.save writes it for a state dict of these tensors. */
export function torchSave(tensors: Record<string, PtTensor>, opts: { archive?: string; pickle?: Uint8Array; deflate?: (b: Uint8Array) => Uint8Array } = {}): Uint8Array {
  const a = opts.archive ?? 'archive';
  const te = new TextEncoder();
  return zip([
    { name: `${a}/data.pkl`, data: opts.pickle ?? statePickle(tensors), deflate: opts.deflate },
    { name: `${a}/byteorder`, data: te.encode('little') },
    ...Object.values(tensors).map((t, i) => ({ name: `${a}/data/${i}`, data: storageBytes(t), deflate: opts.deflate })),
    { name: `${a}/version`, data: te.encode('3\n') },
  ]);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
