// A cheap content fingerprint of model files. Real encoders are hundreds of MB,
// so large files are sampled (length, head, tail and strided 4 KiB blocks):
// any re-export or re-quantization changes it, and it costs milliseconds. A
// file never held in memory (a local side file handed to ONNX Runtime by
// path) is fingerprinted from its sampled blocks, collected while it streams
// past (`FileSampler`): the same fingerprint as from its bytes.

const SAMPLE_BLOCK = 4096;
const FULL_HASH_LIMIT = 8 << 20;
const SAMPLES = 256;

/** What the fingerprint reads of one file: its length, and the bytes it hashes (all of a small file, the sampled blocks of a large one, in order). */
export interface FileSample {
  byteLength: number;
  blocks: Uint8Array[];
}

/** The [start, end) byte ranges of a file of `len` bytes that the fingerprint hashes, in order. */
export function sampleRanges(len: number): [number, number][] {
  if (len <= FULL_HASH_LIMIT) return [[0, len]];
  const stride = Math.floor((len - SAMPLE_BLOCK) / SAMPLES);
  const out: [number, number][] = [];
  for (let k = 0; k <= SAMPLES; k++) out.push([k * stride, Math.min(len, k * stride + SAMPLE_BLOCK)]);
  out.push([len - SAMPLE_BLOCK, len]);
  return out;
}

/** Collects a file's sampled ranges from the chunks it is read in (any order, any size); nothing else is kept. */
export class FileSampler {
  private readonly ranges: [number, number][];
  private readonly blocks: Uint8Array[];

  constructor(readonly byteLength: number) {
    this.ranges = sampleRanges(byteLength);
    this.blocks = this.ranges.map(([a, b]) => new Uint8Array(b - a));
  }

  /** Bytes `chunk` of the file, starting at `offset`. */
  add(chunk: Uint8Array, offset: number): void {
    const end = offset + chunk.length;
    this.ranges.forEach(([a, b], i) => {
      const from = Math.max(a, offset);
      const to = Math.min(b, end);
      if (from < to) this.blocks[i]!.set(chunk.subarray(from - offset, to - offset), from - a);
    });
  }

  sample(): FileSample {
    return { byteLength: this.byteLength, blocks: this.blocks };
  }
}

export function fingerprintBytes(files: readonly (Uint8Array | FileSample)[]): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  const mix = (b: number) => {
    h1 = Math.imul(h1 ^ b, 0x01000193);
    h2 = Math.imul(h2 ^ b, 0x5bd1e995) ^ (h2 >>> 13);
  };
  const feed = (bytes: Uint8Array) => {
    for (let i = 0; i < bytes.length; i++) mix(bytes[i]!);
  };
  for (const file of files) {
    const len = file.byteLength;
    for (let s = 0; s < 32; s += 8) mix((len / 2 ** s) & 0xff);
    if (file instanceof Uint8Array) for (const [a, b] of sampleRanges(len)) feed(file.subarray(a, b));
    else for (const block of file.blocks) feed(block);
  }
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  return hex(h1) + hex(h2);
}
