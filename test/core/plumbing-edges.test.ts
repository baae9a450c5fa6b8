// The core's plumbing at its edges, expectations worked out by hand: typed
// array growth, stored-vector conversions, the error type, the record hashes
// and which stemmers a language loads.
import { describe, expect, it } from 'vitest';
import { crc32, foldBytes, foldNumber, foldValues, foldWords } from '../../src/core/checksum.js';
import { M3SearchError, isM3SearchError, throwIfAborted } from '../../src/core/errors.js';
import { loadStemmers, loadStemmersOf } from '../../src/core/stemmers.js';
import { bytesOf, ensureCapacity, resized } from '../../src/core/slots.js';
import { denseAs, denseToFloat32, multiAs, multiToFloat32, sparseAs, type DenseData, type MultiData } from '../../src/core/stored.js';
import { caught } from './helpers.js';

const FNV = 0x01000193;

describe('slots: growth', () => {
  it('ensureCapacity keeps an array that is big enough, else doubles it (at least need, at least 16)', () => {
    const ten = new Float32Array(10);
    expect(ensureCapacity(ten, 10)).toBe(ten);
    expect(ensureCapacity(ten, 0)).toBe(ten);
    expect(ensureCapacity(new Uint32Array(20), 21).length).toBe(40);
    expect(ensureCapacity(new Uint32Array(4), 5).length).toBe(16);
    expect(ensureCapacity(new Uint32Array(20), 100).length).toBe(100);
    const grown = ensureCapacity(Int8Array.of(1, -2, 3), 4);
    expect(grown).toBeInstanceOf(Int8Array);
    expect([...grown.subarray(0, 4)]).toEqual([1, -2, 3, 0]);
  });

  it('resized copies into exactly cap elements: zero-filled past the end, cut when smaller', () => {
    const a = Uint16Array.of(5, 6, 7);
    expect([...resized(a, 5)]).toEqual([5, 6, 7, 0, 0]);
    expect([...resized(a, 2)]).toEqual([5, 6]);
    const same = resized(a, 3);
    expect([...same]).toEqual([5, 6, 7]);
    expect(same).not.toBe(a);
    expect(resized(new Float64Array(2), 1)).toBeInstanceOf(Float64Array);
  });

  it('bytesOf multiplies by the element size', () => {
    expect(bytesOf(new Float64Array(0), 5)).toBe(40);
    expect(bytesOf(Float32Array, 3)).toBe(12);
    expect(bytesOf(Int8Array, 7)).toBe(7);
  });
});

describe('stored vectors', () => {
  const int8: DenseData = { kind: 'int8', data: Int8Array.of(127, -64, 0), scale: 0.5 };
  const f32: DenseData = { kind: 'float32', data: Float32Array.of(0.5, -1, 0.25) };

  it('dense: the same kind is the input itself; int8 reads as q × scale; float32 quantizes to max|x| / 127', () => {
    expect(denseAs(int8, 'int8')).toBe(int8);
    expect(denseAs(f32, 'float32')).toBe(f32);
    expect(denseToFloat32(f32)).toBe(f32.data);
    expect([...denseToFloat32(int8)]).toEqual([63.5, -32, 0]);
    const back = denseAs(int8, 'float32');
    expect(back.kind).toBe('float32');
    expect(back.data).toBeInstanceOf(Float32Array);
    expect([...back.data]).toEqual([63.5, -32, 0]);
    expect('scale' in back).toBe(false);
    const q = denseAs(f32, 'int8');
    expect(q.kind).toBe('int8');
    expect(q.data).toBeInstanceOf(Int8Array);
    expect([...q.data]).toEqual([64, -127, 32]); // 0.5 / (1/127) = 63.5 rounds away from zero
    expect((q as { scale: number }).scale).toBeCloseTo(1 / 127, 9);
  });

  it('multi-vectors: each kind to each other kind, rows quantized one by one', () => {
    const f: MultiData = { kind: 'float32', data: Float32Array.of(1, -0.5, 0.25, 0.125), count: 2, dim: 2 };
    expect(multiAs(f, 'float32')).toBe(f);
    expect(multiToFloat32(f)).toBe(f.data);
    const half = multiAs(f, 'float16');
    expect(half).toMatchObject({ kind: 'float16', count: 2, dim: 2 });
    expect([...half.data]).toEqual([0x3c00, 0xb800, 0x3400, 0x3000]);
    expect(multiAs(half, 'float16')).toBe(half);
    expect([...multiToFloat32(half)]).toEqual([1, -0.5, 0.25, 0.125]);
    const q = multiAs(half, 'int8');
    expect(q).toMatchObject({ kind: 'int8', count: 2, dim: 2 });
    expect([...q.data]).toEqual([127, -64, 127, 64]);
    expect([...(q as { scales: Float32Array }).scales]).toEqual([Math.fround(1 / 127), Math.fround(0.25 / 127)]);
    expect(multiAs(q, 'int8')).toBe(q);
    const back = multiAs(q, 'float32');
    expect(back).toMatchObject({ kind: 'float32', count: 2, dim: 2 });
    expect(back.data).toBeInstanceOf(Float32Array);
    expect([...back.data].map((x) => +x.toFixed(3))).toEqual([1, -0.504, 0.25, 0.126]);
    expect('scales' in back).toBe(false);
  });

  it('sparse: float32 is the vector itself; float16 rounds the weights and keeps the ids', () => {
    const v = { ids: Uint32Array.of(3, 9), weights: Float32Array.of(0.1, 2) };
    expect(sparseAs(v, 'float32')).toBe(v);
    const h = sparseAs(v, 'float16');
    expect(h).not.toBe(v);
    expect(h.ids).toBe(v.ids);
    expect(h.weights).toBeInstanceOf(Float32Array);
    expect([...h.weights]).toEqual([0.0999755859375, 2]);
  });
});

describe('errors', () => {
  it('throwIfAborted: ABORTED with its message once the signal fired, nothing before', () => {
    const ctl = new AbortController();
    expect(() => throwIfAborted(undefined)).not.toThrow();
    expect(() => throwIfAborted(ctl.signal)).not.toThrow();
    ctl.abort();
    const e = caught(() => throwIfAborted(ctl.signal));
    expect(e).toBeInstanceOf(M3SearchError);
    expect(e).toMatchObject({ code: 'ABORTED', name: 'M3SearchError', message: 'The operation was cancelled.' });
  });

  it('isM3SearchError: by name (errors that crossed the worker are plain objects), and by code when asked', () => {
    const real = new M3SearchError('NOT_READY', 'x', { a: 1 });
    expect(real.details).toEqual({ a: 1 });
    expect(isM3SearchError(real)).toBe(true);
    expect(isM3SearchError(real, 'NOT_READY')).toBe(true);
    expect(isM3SearchError(real, 'ABORTED')).toBe(false);
    expect(isM3SearchError({ name: 'M3SearchError', code: 'ABORTED' }, 'ABORTED')).toBe(true);
    expect(isM3SearchError({ name: 'M3SearchError' })).toBe(true);
    expect(isM3SearchError({ name: 'Error', code: 'ABORTED' }, 'ABORTED')).toBe(false);
    expect(isM3SearchError({ code: 'ABORTED' })).toBe(false);
    expect(isM3SearchError(null)).toBe(false);
    expect(isM3SearchError(undefined)).toBe(false);
    expect(isM3SearchError('M3SearchError')).toBe(false);
    // A function has a name too; it is not an error.
    expect(isM3SearchError(function M3SearchError() {})).toBe(false);
  });
});

describe('record hashes', () => {
  it('crc32 continues across pieces', () => {
    const all = new TextEncoder().encode('123456789');
    expect(crc32(all)).toBe(0xcbf43926);
    expect(crc32(all.subarray(4), crc32(all.subarray(0, 4)))).toBe(0xcbf43926);
  });

  it('foldBytes: word by word, then the tail bytes one by one, then the length', () => {
    const bytes = Uint8Array.of(1, 0, 0, 0, 7, 9);
    let h = Math.imul(0 ^ 1, FNV);
    h = Math.imul(h ^ 7, FNV);
    h = Math.imul(h ^ 9, FNV);
    expect(foldBytes(0, bytes)).toBe(Math.imul(h ^ 6, FNV) >>> 0);
    // The tail counts: only the last byte differs.
    expect(foldBytes(0, Uint8Array.of(1, 0, 0, 0, 7, 8))).not.toBe(foldBytes(0, bytes));
    expect(foldBytes(0, bytes.buffer)).toBe(foldBytes(0, bytes));
  });

  it('foldBytes over a view at an unaligned offset folds byte by byte (what stored checksums hold)', () => {
    const buf = new ArrayBuffer(12);
    const odd = new Uint8Array(buf, 1, 5);
    odd.set([5, 4, 3, 2, 1]);
    let h = 3;
    for (const b of odd) h = Math.imul(h ^ b, FNV);
    expect(foldBytes(3, odd)).toBe(Math.imul(h ^ 5, FNV) >>> 0);
    expect(foldBytes(3, odd)).not.toBe(foldBytes(3, Uint8Array.from(odd)));
  });

  it('foldWords over a word range equals foldBytes of those bytes', () => {
    const bytes = Uint8Array.of(0, 0, 0, 0, 5, 4, 3, 2, 1, 9, 8, 7, 6, 6, 6, 6);
    expect(foldWords(3, new Uint32Array(bytes.buffer), 1, 3)).toBe(foldBytes(3, bytes.subarray(4, 12)));
  });

  it('foldValues: numbers as float64 bits, strings as UTF-8 (cached or not, the same), undefined as a marker', () => {
    expect(foldValues(11, [2.5])).toBe(foldNumber(11, 2.5));
    expect(foldValues(11, [2.5])).toBe(foldBytes(11, Float64Array.of(2.5)));
    const kind = foldBytes(11, new TextEncoder().encode('int8'));
    expect(foldValues(11, ['int8'])).toBe(kind);
    expect(foldValues(11, ['int8'])).toBe(kind); // second time from the cache
    expect(foldValues(11, ['a'])).not.toBe(foldValues(11, ['b']));
    for (let i = 0; i < 80; i++) foldValues(0, [`k${i}`]); // past the cache's 64 entries
    expect(foldValues(11, ['k79'])).toBe(foldBytes(11, new TextEncoder().encode('k79')));
    expect(foldValues(11, [undefined])).toBe(Math.imul(11 ^ 0xffffffff, FNV) >>> 0);
    expect(foldValues(11, [1, 'float16', undefined])).toBe(foldValues(foldValues(foldNumber(11, 1), ['float16']), [undefined]));
  });
});

describe('stemmers', () => {
  it('a language brings its own stemmer and, unless told not to, the four script stemmers', async () => {
    expect(Object.keys(await loadStemmers('en-US')).sort()).toEqual(['ar', 'el', 'en', 'hi', 'ru']);
    expect(Object.keys(await loadStemmers('pt_BR', { scriptStemmers: true })).sort()).toEqual(['ar', 'el', 'hi', 'pt', 'ru']);
    expect(Object.keys(await loadStemmers('xx')).sort()).toEqual(['ar', 'el', 'hi', 'ru']);
    expect(Object.keys(await loadStemmers(undefined, { scriptStemmers: false }))).toEqual([]);
    expect(Object.keys(await loadStemmers(' DE ', { scriptStemmers: false }))).toEqual(['de']);
  });

  it('loadStemmersOf takes exactly the languages asked for that have one', async () => {
    const got = await loadStemmersOf(['en', 'xx', 'ja']);
    expect(Object.keys(got)).toEqual(['en']);
    expect(got.en!('running')).toBe('run');
  });

  it('a stem is never empty: a word the stemmer would erase stays itself', async () => {
    // The Irish stemmer strips the prefix "h-" (h-athair → athair), leaving nothing of "h-" alone.
    const { ga } = await loadStemmersOf(['ga']);
    expect(ga!('h-')).toBe('h-');
    expect(ga!('n-')).toBe('n-');
    expect(ga!('h-athair')).toBe('athair');
  });
});
