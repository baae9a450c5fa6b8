// Reads PyTorch `.pt` state dicts of float tensors (BGE-M3's sparse_linear.pt
// and colbert_linear.pt) without PyTorch and without running any code.
//
// torch.save (zipfile format, torch ≥ 1.6) writes a ZIP archive whose entries
// share one folder prefix (e.g. `sparse_linear/` or `archive/`):
//   <prefix>/data.pkl      the object, pickle protocol 2; tensors refer to storages by key
//   <prefix>/data/<key>    each storage's raw bytes, little-endian
//   <prefix>/byteorder     "little" (torch ≥ 2.1; absent means little)
//   <prefix>/version       format version
// Entries are normally stored (method 0); deflated ones are inflated with
// DecompressionStream('deflate-raw'). See torch/serialization.py (`_save`,
// `_load`) and Python's Lib/pickletools.py for the opcodes.
//
// The pickle is interpreted, never executed: only the opcodes torch.save uses
// for a state dict are known, GLOBAL may name only the four callables below,
// and anything else is refused with MODEL_FILES naming the file.
import { M3SearchError } from '../core/errors.js';
import { float16ToFloat32 } from '../core/quantize.js';
import type { NamedTensor } from './safetensors.js';

// ---------------------------------------------------------------------------
// ZIP (central directory; stored or deflated entries)

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const EOCD64 = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** The central directory of a ZIP archive (ZIP64 fields included, as torch writes them for large files). */
export function zipEntries(bytes: Uint8Array, fail: (why: string) => never): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end record is the last 22 bytes plus a comment of at most 65535.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('no ZIP end-of-central-directory record (truncated, or not a torch.save zip file)');
  let count = view.getUint16(eocd + 10, true);
  let dirSize = view.getUint32(eocd + 12, true);
  let dirOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || dirOffset === 0xffffffff || dirSize === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || view.getUint32(loc, true) !== EOCD64_LOCATOR) fail('ZIP64 locator missing');
    const at = safeNumber(view.getBigUint64(loc + 8, true), fail);
    if (at + 56 > bytes.length || view.getUint32(at, true) !== EOCD64) fail('ZIP64 end record missing');
    count = safeNumber(view.getBigUint64(at + 32, true), fail);
    dirSize = safeNumber(view.getBigUint64(at + 40, true), fail);
    dirOffset = safeNumber(view.getBigUint64(at + 48, true), fail);
  }
  if (dirOffset + dirSize > bytes.length) fail('central directory lies outside the file (truncated?)');
  const entries: ZipEntry[] = [];
  let p = dirOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== CENTRAL) fail('central directory entry is damaged');
    const method = view.getUint16(p + 10, true);
    let compressedSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let localOffset = view.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen > bytes.length) fail('central directory entry is damaged');
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extra field (id 1): the 64-bit values, in this order, for each 32-bit field that is 0xffffffff.
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen; ) {
      const id = view.getUint16(e, true);
      const len = view.getUint16(e + 2, true);
      if (id === 1) {
        let q = e + 4;
        const next = (): number => {
          if (q + 8 > e + 4 + len) fail(`ZIP64 field of ${name} is too short`);
          const v = safeNumber(view.getBigUint64(q, true), fail);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localOffset === 0xffffffff) localOffset = next();
      }
      e += 4 + len;
    }
    entries.push({ name, method, compressedSize, size, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** The bytes of one entry (stored: a view into `bytes`; deflated: inflated). */
export async function zipRead(bytes: Uint8Array, entry: ZipEntry, fail: (why: string) => never): Promise<Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localOffset;
  if (at + 30 > bytes.length || view.getUint32(at, true) !== LOCAL) fail(`entry ${entry.name} is damaged (truncated?)`);
  // The local header's own name/extra lengths (torch pads the extra field to align the data to 64 bytes).
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  const end = start + entry.compressedSize;
  if (end > bytes.length) fail(`entry ${entry.name} runs past the end of the file (truncated?)`);
  const raw = bytes.subarray(start, end);
  if (entry.method === 0) {
    if (entry.size !== entry.compressedSize) fail(`entry ${entry.name} has inconsistent sizes`);
    return raw;
  }
  if (entry.method !== 8) fail(`entry ${entry.name} uses compression method ${entry.method} (only stored and deflate are read)`);
  let out: Uint8Array;
  try {
    const stream = new Blob([raw.slice()]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
    out = new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    return fail(`entry ${entry.name} does not inflate: ${(e as Error).message}`);
  }
  if (out.length !== entry.size) fail(`entry ${entry.name} inflates to ${out.length} bytes, expected ${entry.size}`);
  return out;
}

function safeNumber(v: bigint, fail: (why: string) => never): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail('a ZIP64 size is out of range');
  return Number(v);
}

// ---------------------------------------------------------------------------
// Pickle subset

/** The callables a state dict's pickle may name; GLOBAL of anything else is refused. */
const ALLOWED_GLOBALS = new Set([
  'collections OrderedDict',
  'torch._utils _rebuild_tensor_v2',
  'torch FloatStorage',
  'torch HalfStorage',
  'torch BFloat16Storage',
]);

const STORAGE_BYTES: Record<string, number> = { 'torch FloatStorage': 4, 'torch HalfStorage': 2, 'torch BFloat16Storage': 2 };

/** A GLOBAL the interpreter knows: just its name, never resolved to anything callable. */
class Global {
  constructor(readonly name: string) {}
}
/** MARK on the stack. */
class Mark {}
/** A storage reference made by BINPERSID: ('storage', type, key, location, numel). */
class StorageRef {
  constructor(
    readonly type: string,
    readonly key: string,
    readonly numel: number,
  ) {}
}
/** A tensor as `_rebuild_tensor_v2` describes it: a strided view of a storage. */
class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}
/** An OrderedDict built by REDUCE (a state dict, its `_metadata`, or backward_hooks). */
class Dict {
  readonly map = new Map<PickleValue, PickleValue>();
}

type PickleValue = null | boolean | number | string | Global | Mark | StorageRef | TensorRef | Dict | PickleValue[];

/**
 * Runs the pickle opcodes of `data` on a stack machine that knows only what
 * torch.save writes for a dict of tensors. Returns the top-level dict.
 */
export function unpickleStateDict(data: Uint8Array, fail: (why: string) => never): Dict {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const stack: PickleValue[] = [];
  const memo = new Map<number, PickleValue>();
  let p = 0;
  const need = (n: number): number => {
    if (p + n > data.length) fail('data.pkl ends early');
    const at = p;
    p += n;
    return at;
  };
  const u8 = () => data[need(1)]!;
  const u16 = () => view.getUint16(need(2), true);
  const u32 = () => view.getUint32(need(4), true);
  const pop = (): PickleValue => {
    if (stack.length === 0) fail('data.pkl pops an empty stack');
    return stack.pop()!;
  };
  const popMark = (): PickleValue[] => {
    let i = stack.length - 1;
    while (i >= 0 && !(stack[i] instanceof Mark)) i--;
    if (i < 0) fail('data.pkl has no MARK to pop to');
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const line = (): string => {
    const end = data.indexOf(0x0a, p);
    if (end < 0 || end - p > 256) fail('data.pkl has a malformed GLOBAL');
    const s = new TextDecoder().decode(data.subarray(p, end));
    p = end + 1;
    return s;
  };
  const str = (n: number): string => new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(need(n), p));
  const setItem = (target: PickleValue, k: PickleValue, v: PickleValue): void => {
    if (!(target instanceof Dict)) fail('data.pkl sets items on something that is not a dict');
    target.map.set(k, v);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('data.pkl uses an unknown pickle protocol');
        break;
      case 0x2e: {
        // STOP
        const top = pop();
        if (!(top instanceof Dict)) fail('data.pkl does not hold a dict of tensors');
        return top;
      }
      case 0x28: // MARK
        stack.push(new Mark());
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Dict());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT (signed 32-bit)
        stack.push(view.getInt32(need(4), true));
        break;
      case 0x58: // BINUNICODE
        stack.push(str(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE (protocol 4; harmless, and newer picklers emit it)
        stack.push(str(u8()));
        break;
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), peek(stack, fail));
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), peek(stack, fail));
        break;
      case 0x94: // MEMOIZE (protocol 4)
        memo.set(memo.size, peek(stack, fail));
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const key = op === 0x68 ? u8() : u32();
        if (!memo.has(key)) fail(`data.pkl reads memo ${key} before it is set`);
        stack.push(memo.get(key)!);
        break;
      }
      case 0x63: {
        // GLOBAL: "module\nname\n", looked up in the allow-list only.
        const name = `${line()} ${line()}`;
        if (!ALLOWED_GLOBALS.has(name)) fail(`data.pkl names ${JSON.stringify(name)}, which a state dict of tensors never needs (refused, nothing was run)`);
        stack.push(new Global(name));
        break;
      }
      case 0x51: {
        // BINPERSID: ('storage', storage_type, key, location, numel) → a storage reference.
        const pid = pop();
        if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') fail('data.pkl has a persistent id that is not a storage');
        const [, type, key, , numel] = pid as PickleValue[];
        if (!(type instanceof Global) || !(type.name in STORAGE_BYTES)) fail('data.pkl has a storage of an unsupported type (only float32, float16, bfloat16)');
        if (typeof key !== 'string' || !/^[0-9A-Za-z_]+$/.test(key) || !isCount(numel)) fail('data.pkl has a malformed storage reference');
        stack.push(new StorageRef((type as Global).name, key as string, numel as number));
        break;
      }
      case 0x52: {
        // REDUCE: only OrderedDict() and _rebuild_tensor_v2(...), interpreted here.
        const args = pop();
        const fn = pop();
        if (!(fn instanceof Global) || !Array.isArray(args)) fail('data.pkl calls something that is not an allowed global (refused)');
        stack.push(reduce((fn as Global).name, args as PickleValue[], fail));
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItem(peek(stack, fail), k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        if (items.length % 2) fail('data.pkl has an odd SETITEMS');
        const target = peek(stack, fail);
        for (let i = 0; i < items.length; i += 2) setItem(target, items[i]!, items[i + 1]!);
        break;
      }
      case 0x62: {
        // BUILD: only as a state dict's __setstate__ with a plain dict ({'_metadata': ...}), which is dropped.
        const state = pop();
        const target = peek(stack, fail);
        if (!(target instanceof Dict) || !(state instanceof Dict)) fail('data.pkl has a BUILD that is not a state dict setting its _metadata (refused)');
        break;
      }
      default:
        fail(`data.pkl uses pickle opcode 0x${op.toString(16).padStart(2, '0')}, which a state dict of tensors never needs (refused, nothing was run)`);
    }
  }
}

function peek(stack: PickleValue[], fail: (why: string) => never): PickleValue {
  if (stack.length === 0) fail('data.pkl reads an empty stack');
  return stack[stack.length - 1]!;
}

function isCount(v: PickleValue): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function reduce(name: string, args: PickleValue[], fail: (why: string) => never): PickleValue {
  if (name === 'collections OrderedDict') {
    if (args.length !== 0) fail('data.pkl builds an OrderedDict from arguments');
    return new Dict();
  }
  if (name === 'torch._utils _rebuild_tensor_v2') {
    // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    const [storage, offset, size, stride] = args;
    if (args.length < 6 || args.length > 7 || !(storage instanceof StorageRef) || !isCount(offset ?? null)) fail('data.pkl rebuilds a tensor from malformed arguments');
    if (!Array.isArray(size) || !Array.isArray(stride) || size.length !== stride.length || !size.every((x) => isCount(x)) || !stride.every((x) => isCount(x))) {
      fail('data.pkl has a tensor with malformed size or stride');
    }
    return new TensorRef(storage as StorageRef, offset as number, size as number[], stride as number[]);
  }
  return fail(`data.pkl calls ${JSON.stringify(name)} (refused, nothing was run)`);
}

// ---------------------------------------------------------------------------
// State dict

/**
 * The float tensors of a torch.save'd state dict, by name, as float32 (the
 * same shape as `parseSafetensors` returns). `fileName` names the file in errors.
 */
export async function parseTorchStateDict(bytes: Uint8Array, fileName = 'torch file'): Promise<Map<string, NamedTensor>> {
  const fail = (why: string): never => {
    throw new M3SearchError('MODEL_FILES', `${fileName} is not a readable PyTorch state dict: ${why}.`, { file: fileName, reason: 'malformed' });
  };
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] !== undefined && bytes[1] <= 5) {
    fail('it is a legacy (pre-1.6, non-zip) torch.save file; re-save it with a current PyTorch or convert it to safetensors');
  }
  const entries = zipEntries(bytes, fail);
  const pkl = entries.find((e) => e.name === 'data.pkl' || e.name.endsWith('/data.pkl'));
  if (!pkl) fail('no data.pkl in the archive');
  const prefix = pkl!.name.slice(0, pkl!.name.length - 'data.pkl'.length);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const order = byName.get(`${prefix}byteorder`);
  if (order && new TextDecoder().decode(await zipRead(bytes, order, fail)).trim() !== 'little') fail('its storages are big-endian');
  const dict = unpickleStateDict(await zipRead(bytes, pkl!, fail), fail);

  const storages = new Map<string, Uint8Array>();
  const out = new Map<string, NamedTensor>();
  for (const [key, value] of dict.map) {
    if (typeof key !== 'string' || !(value instanceof TensorRef)) fail('the dict holds something other than named tensors');
    const t = value as TensorRef;
    const name = key as string;
    const width = STORAGE_BYTES[t.storage.type]!;
    let raw = storages.get(t.storage.key);
    if (!raw) {
      const entry = byName.get(`${prefix}data/${t.storage.key}`);
      if (!entry) fail(`storage ${t.storage.key} of ${name} is missing from the archive`);
      raw = await zipRead(bytes, entry!, fail);
      if (raw.length < t.storage.numel * width) fail(`storage ${t.storage.key} holds ${raw.length} bytes, fewer than its ${t.storage.numel} elements need`);
      storages.set(t.storage.key, raw);
    }
    out.set(name, { dtype: t.storage.type.slice(6).replace('Storage', ''), shape: t.shape, data: tensorData(t, raw, width, name, fail) });
  }
  return out;
}

/** The tensor's elements as float32; only contiguous (row-major) layouts are read. */
function tensorData(t: TensorRef, raw: Uint8Array, width: number, name: string, fail: (why: string) => never): Float32Array {
  const count = t.shape.reduce((a, b) => a * b, 1);
  let expect = 1;
  for (let i = t.shape.length - 1; i >= 0; i--) {
    if (t.shape[i] !== 1 && t.stride[i] !== expect) fail(`tensor ${name} is not contiguous (stride ${JSON.stringify(t.stride)} for size ${JSON.stringify(t.shape)})`);
    expect *= t.shape[i]!;
  }
  if (t.offset + count > t.storage.numel) fail(`tensor ${name} lies outside its storage`);
  // Copied out: aligned, and detached from the file's buffer.
  const bytes = raw.slice((t.offset) * width, (t.offset + count) * width);
  if (t.storage.type === 'torch FloatStorage') {
    const v = new DataView(bytes.buffer);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = v.getFloat32(i * 4, true);
    return out;
  }
  const halves = new Uint16Array(count);
  const v = new DataView(bytes.buffer);
  for (let i = 0; i < count; i++) halves[i] = v.getUint16(i * 2, true);
  if (t.storage.type === 'torch HalfStorage') return float16ToFloat32(halves);
  const wide = new Uint32Array(count);
  for (let i = 0; i < count; i++) wide[i] = halves[i]! << 16;
  return new Float32Array(wide.buffer);
}
