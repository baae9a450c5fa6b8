// A minimal WebAssembly assembler: named opcodes and a module writer, enough
// for the few SIMD loops of the core (MaxSim, dense scans). Writing the bytes
// from TypeScript keeps the repository free of binary files and build steps;
// each kernel spells its function out of these ops, with a WAT sketch beside it.

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  get: (local: number) => [0x20, ...uleb(local)],
  set: (local: number) => [0x21, ...uleb(local)],
  i32: (v: number) => [0x41, ...sleb(v)],
  f32: (v: number) => [0x43, ...f32Bytes(v)],
  i32Add: [0x6a],
  i32Shl: [0x74],
  i32And: [0x71],
  i32GeU: [0x4f],
  f32Load: [0x2a, 2, 0],
  f32Store: [0x38, 2, 0],
  f32Add: [0x92],
  f32Div: [0x95],
  f32Max: [0x97],
  f32FromU32: [0xb3],
  v128Load: (offset: number) => [0xfd, 0x00, 0, ...uleb(offset)],
  /** 8 × i8 → i16x8, sign-extended. */
  v128Load8x8S: (offset: number) => [0xfd, 0x01, 0, ...uleb(offset)],
  /** 4 × u16 → i32x4, zero-extended. */
  v128Load16x4U: (offset: number) => [0xfd, 0x04, 0, ...uleb(offset)],
  v128Store: (offset: number) => [0xfd, 0x0b, 0, ...uleb(offset)],
  v128And: [0xfd, 0x4e],
  v128Or: [0xfd, 0x50],
  i32x4Splat: [0xfd, 0x11],
  i32x4Eq: [0xfd, 0x37],
  /** Shift every lane left by the i32 on top of the stack. */
  i32x4Shl: [0xfd, 0xab, 0x01],
  f32x4Splat: [0xfd, 0x13],
  f32x4Lane: (lane: number) => [0xfd, 0x1f, lane],
  i32x4ExtendLowI16x8S: [0xfd, 0xa7, 0x01],
  i32x4ExtendHighI16x8S: [0xfd, 0xa8, 0x01],
  f32x4Add: [0xfd, 0xe4, 0x01],
  f32x4Mul: [0xfd, 0xe6, 0x01],
  f32x4ConvertI32x4S: [0xfd, 0xfa, 0x01],
};

/** `while (counter < limit) { body }` — counter and limit are locals. */
export function whileBelow(counter: number, limit: number, body: number[]): number[] {
  return [...op.block, ...op.loop, ...op.get(counter), ...op.get(limit), ...op.i32GeU, ...op.brIf(1), ...body, ...op.br(0), ...op.end, ...op.end];
}

/** local += amount (i32). */
export const addTo = (local: number, amount: number[]): number[] => [...op.get(local), ...amount, ...op.i32Add, ...op.set(local)];

/** local = 0 as f32x4. */
export const zeroV128 = (local: number): number[] => [...op.f32(0), ...op.f32x4Splat, ...op.set(local)];

/** The sum of the four lanes of a v128 local, left on the stack as f32. */
export const lanesSum = (local: number): number[] => [
  ...op.get(local), ...op.f32x4Lane(0), ...op.get(local), ...op.f32x4Lane(1), ...op.f32Add,
  ...op.get(local), ...op.f32x4Lane(2), ...op.f32Add, ...op.get(local), ...op.f32x4Lane(3), ...op.f32Add,
];

export interface FunctionSpec {
  name: string;
  params: number[];
  /** The result type; undefined for none. */
  result: number | undefined;
  /** Extra locals after the parameters, as [count, type] groups. */
  locals: [number, number][];
  /** Instructions, without the final `end`. */
  body: number[];
}

/** A module exporting `functions` and its own growable memory (as "memory"). */
export function assemble(functions: readonly FunctionSpec[]): Uint8Array<ArrayBuffer> {
  const name = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
  const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
  const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
  const types = functions.map((f) => [0x60, ...uleb(f.params.length), ...f.params, ...(f.result === undefined ? [0] : [1, f.result])]);
  const bodies = functions.map((f) => {
    const code = [...vec(f.locals.map(([n, t]) => [...uleb(n), t])), ...f.body, ...op.end];
    return [...uleb(code.length), ...code];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(3, vec(functions.map((_, i) => uleb(i)))), // function i has type i
    ...section(5, [1, 0x00, 1]), // one memory, 1 page to start, growable
    ...section(7, vec([...functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]), [...name('memory'), 0x02, 0]])),
    ...section(10, vec(bodies)),
  ]);
}

/**
 * Instantiates `bytes` (compiled once per byte array), or undefined where
 * WebAssembly SIMD is unavailable or forbidden (a CSP without 'wasm-unsafe-eval').
 */
export function instantiate(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Instance | undefined {
  const W = (globalThis as { WebAssembly?: typeof WebAssembly }).WebAssembly;
  if (!W) return undefined;
  try {
    let module = compiled.get(bytes);
    if (module === undefined) {
      // A few hundred bytes: synchronous compile is allowed on a page's main thread too.
      module = W.validate(bytes) ? new W.Module(bytes) : null;
      compiled.set(bytes, module);
    }
    return module ? new W.Instance(module) : undefined;
  } catch {
    compiled.set(bytes, null);
    return undefined;
  }
}
const compiled = new WeakMap<Uint8Array, WebAssembly.Module | null>();

/** Grows `memory` so that it holds at least `bytes`. */
export function ensureMemory(memory: WebAssembly.Memory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (have < bytes) memory.grow(Math.ceil((bytes - have) / 65536));
}

export const align16 = (n: number): number => (n + 15) & ~15;

/** IEEE 754 single, little-endian (the binary format's byte order on every host). */
function f32Bytes(v: number): number[] {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, v, true);
  return [b.getUint8(0), b.getUint8(1), b.getUint8(2), b.getUint8(3)];
}

function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}
