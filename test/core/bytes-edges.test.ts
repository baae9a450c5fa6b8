// ByteWriter / ByteReader at their edges, bytes written out by hand:
// little-endian fields, LEB128 varints, growth past the first buffer,
// alignment, typed views, and the truncation error.
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter, concatBytes } from '../../src/core/bytes.js';

describe('ByteWriter', () => {
  it('writes little-endian fields', () => {
    const w = new ByteWriter().u8(0xab).u16(0x1234).u32(0xdeadbeef).f32(1).f64(-2);
    expect([...w.finish()]).toEqual([0xab, 0x34, 0x12, 0xef, 0xbe, 0xad, 0xde, 0, 0, 0x80, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0xc0]);
    expect(w.length).toBe(19);
  });

  it('LEB128: 7 bits a byte, high bit = more', () => {
    const enc = (v: number): number[] => [...new ByteWriter().varint(v).finish()];
    expect(enc(0)).toEqual([0]);
    expect(enc(127)).toEqual([0x7f]);
    expect(enc(128)).toEqual([0x80, 0x01]);
    expect(enc(300)).toEqual([0xac, 0x02]);
    expect(enc(16384)).toEqual([0x80, 0x80, 0x01]);
    expect(enc(2 ** 32 - 1)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  it('grows past its first buffer, keeping every byte, and copies views exactly', () => {
    const w = new ByteWriter();
    for (let i = 0; i < 3000; i++) w.u8(i & 0xff);
    const big = new Uint8Array(5000).map((_, i) => (i * 7) & 0xff);
    w.bytes(big);
    w.bytes(Uint16Array.of(0x0102, 0x0304).subarray(1));
    const out = w.finish();
    expect(out.length).toBe(3000 + 5000 + 2);
    for (let i = 0; i < 3000; i++) if (out[i] !== (i & 0xff)) throw new Error(`byte ${i}`);
    for (let i = 0; i < 5000; i++) if (out[3000 + i] !== ((i * 7) & 0xff)) throw new Error(`byte ${3000 + i}`);
    expect([...out.subarray(8000)]).toEqual([0x04, 0x03]);
  });

  it('aligns with zero bytes (to 4 by default), not when already aligned', () => {
    expect([...new ByteWriter().u8(1).align().finish()]).toEqual([1, 0, 0, 0]);
    expect([...new ByteWriter().u32(1).align().finish()]).toEqual([1, 0, 0, 0]);
    expect([...new ByteWriter().u8(1).align(8).finish()]).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(new ByteWriter().align().length).toBe(0);
  });
});

describe('ByteReader', () => {
  it('reads what the writer wrote, and knows when it is done', () => {
    const bytes = new ByteWriter().u8(7).u16(0xbeef).u32(0x01020304).f32(0.5).f64(1.25).varint(300).varint(5).finish();
    const r = new ByteReader(bytes);
    expect(r.done).toBe(false);
    expect([r.u8(), r.u16(), r.u32(), r.f32(), r.f64(), r.varint(), r.varint()]).toEqual([7, 0xbeef, 0x01020304, 0.5, 1.25, 300, 5]);
    expect(r.pos).toBe(bytes.length);
    expect(r.done).toBe(true);
  });

  it('a read past the end throws the truncation error, naming where', () => {
    const r = new ByteReader(Uint8Array.of(1, 2, 3));
    r.u16();
    expect(() => r.u16()).toThrow(new RangeError('shard truncated: need 2 bytes at 2 of 3'));
    expect(r.u8()).toBe(3);
    expect(() => r.u8()).toThrow(RangeError);
    const custom = new ByteReader(Uint8Array.of(0x80), (m) => new Error(`bad: ${m}`));
    expect(() => custom.varint()).toThrow('bad: need 1 bytes at 1 of 1');
    expect(() => new ByteReader(new Uint8Array(7)).f64()).toThrow('need 8 bytes at 0 of 7');
    expect(() => new ByteReader(new Uint8Array(3)).u32()).toThrow('need 4 bytes at 0 of 3');
    expect(() => new ByteReader(new Uint8Array(3)).f32()).toThrow('need 4 bytes at 0 of 3');
    expect(() => new ByteReader(new Uint8Array(4)).take(5)).toThrow('need 5 bytes at 0 of 4');
    expect(() => new ByteReader(new Uint8Array(4)).int8(5)).toThrow('need 5 bytes at 0 of 4');
    expect(() => new ByteReader(new Uint8Array(4)).uint16(3)).toThrow('need 6 bytes at 0 of 4');
    expect(() => new ByteReader(new Uint8Array(8)).uint32(3)).toThrow('need 12 bytes at 0 of 8');
    expect(() => new ByteReader(new Uint8Array(8)).float32(3)).toThrow('need 12 bytes at 0 of 8');
    // Exactly the remaining bytes is fine.
    expect(new ByteReader(new Uint8Array(4)).take(4)).toHaveLength(4);
  });

  it('typed views at the current position, each advancing by its byte size', () => {
    const w = new ByteWriter().u8(0xff).u8(1).align().u16(0x0102).u16(0x0304).u32(0x0a0b0c0d).f32(2.5).bytes(Uint8Array.of(9, 8));
    const r = new ByteReader(w.finish());
    expect([...r.int8(2)]).toEqual([-1, 1]);
    r.align();
    expect(r.pos).toBe(4);
    expect([...r.uint16(2)]).toEqual([0x0102, 0x0304]);
    expect(r.pos).toBe(8);
    expect([...r.uint32(1)]).toEqual([0x0a0b0c0d]);
    expect(r.pos).toBe(12);
    expect([...r.float32(1)]).toEqual([2.5]);
    expect(r.pos).toBe(16);
    expect([...r.take(2)]).toEqual([9, 8]);
    expect(r.done).toBe(true);
  });

  it('align(8) moves to the next multiple; an aligned position stays', () => {
    const r = new ByteReader(new Uint8Array(16));
    r.align(8);
    expect(r.pos).toBe(0);
    r.u8();
    r.align(8);
    expect(r.pos).toBe(8);
  });

  it('bytes at an odd offset are copied so the typed views stay aligned; aligned ones are used as they are', () => {
    const backing = new Uint8Array(12);
    backing.set([0, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00], 0);
    const odd = backing.subarray(1, 9);
    const r = new ByteReader(odd);
    expect(r.bytes).not.toBe(odd);
    expect([...r.uint32(2)]).toEqual([1, 2]);
    const aligned = new Uint8Array(8);
    expect(new ByteReader(aligned).bytes).toBe(aligned);
    const at8 = new Uint8Array(16).subarray(8);
    expect(new ByteReader(at8).bytes).toBe(at8);
  });
});

describe('concatBytes', () => {
  it('joins chunks in order; one chunk is returned as it is; none is empty', () => {
    expect([...concatBytes([Uint8Array.of(1, 2), Uint8Array.of(), Uint8Array.of(3)], 3)]).toEqual([1, 2, 3]);
    const one = Uint8Array.of(9, 8);
    expect(concatBytes([one], 2)).toBe(one);
    expect(concatBytes([], 0)).toEqual(new Uint8Array(0));
  });
});
