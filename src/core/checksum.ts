// CRC-32 (IEEE 802.3, as in zip/png) so a garbled snapshot is rejected
// instead of silently loading wrong vectors.

let crcTable: Uint32Array | undefined;

function table(): Uint32Array {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  return crcTable;
}

/** CRC-32 of `bytes` (continuing from `crc` when hashing in pieces). */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const t = table();
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const FNV_PRIME = 0x01000193;

/**
 * Folds the bytes of `data` into a 32-bit hash, four bytes at a time (FNV-1a
 * over words). Each step is a bijection of the running hash, so changing any
 * one word always changes the result. Several times faster than crc32 on
 * large vectors; for stored records, where restore time matters. A view at
 * an offset that is not a multiple of 4 is folded byte by byte instead, which
 * gives another hash than the same bytes aligned: stored checksums were
 * written that way (writer and reader see the same offsets), so it stays.
 */
export function foldBytes(h: number, data: ArrayBuffer | ArrayBufferView): number {
  const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
  const words = bytes.length >>> 2;
  let i = 0;
  if (bytes.byteOffset % 4 === 0) {
    const w = new Uint32Array(bytes.buffer, bytes.byteOffset, words);
    for (; i < words; i++) h = Math.imul(h ^ w[i]!, FNV_PRIME);
    i = words * 4;
  }
  for (; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME);
  // The length too: a cut that drops trailing zero bytes still changes the hash.
  return Math.imul(h ^ bytes.length, FNV_PRIME) >>> 0;
}

const utf8 = new TextEncoder();
/** One number's float64 bits as two words (reused: a restore folds several values per record). */
const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);
/** UTF-8 bytes of the few strings folded (storage kinds), encoded once. */
const encoded = new Map<string, Uint8Array>();

/** Folds numbers (as float64 bits) and strings into the hash. */
export function foldValues(h: number, values: readonly (number | string | undefined)[]): number {
  for (const v of values) {
    if (typeof v === 'number') {
      // foldBytes over the 8 bytes, without allocating views.
      scratch[0] = v;
      h = Math.imul(h ^ scratchWords[0]!, FNV_PRIME);
      h = Math.imul(h ^ scratchWords[1]!, FNV_PRIME);
      h = Math.imul(h ^ 8, FNV_PRIME) >>> 0;
    } else if (typeof v === 'string') {
      let bytes = encoded.get(v);
      if (bytes === undefined) {
        bytes = utf8.encode(v);
        if (encoded.size < 64) encoded.set(v, bytes);
      }
      h = foldBytes(h, bytes);
    } else h = Math.imul(h ^ 0xffffffff, FNV_PRIME);
  }
  return h >>> 0;
}

/**
 * `foldBytes` over the bytes of `words[from … to)`, without a view: the same
 * hash as `foldBytes` of those bytes (they are whole words). For checking
 * many rows of one stored block.
 */
export function foldWords(h: number, words: Uint32Array, from: number, to: number): number {
  for (let i = from; i < to; i++) h = Math.imul(h ^ words[i]!, FNV_PRIME);
  return Math.imul(h ^ ((to - from) * 4), FNV_PRIME) >>> 0;
}

/** Folds one number (as float64 bits), as `foldValues` does, without an array. */
export function foldNumber(h: number, v: number): number {
  scratch[0] = v;
  h = Math.imul(h ^ scratchWords[0]!, FNV_PRIME);
  h = Math.imul(h ^ scratchWords[1]!, FNV_PRIME);
  return Math.imul(h ^ 8, FNV_PRIME) >>> 0;
}
