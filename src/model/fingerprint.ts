// A cheap content fingerprint of model files. Real encoders are hundreds of MB,
// so large files are sampled (length, head, tail and strided 4 KiB blocks):
// any re-export or re-quantization changes it, and it costs milliseconds.

const SAMPLE_BLOCK = 4096;
const FULL_HASH_LIMIT = 8 << 20;
const SAMPLES = 256;

export function fingerprintBytes(files: readonly Uint8Array[]): string {
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
    if (len <= FULL_HASH_LIMIT) {
      feed(file);
      continue;
    }
    const stride = Math.floor((len - SAMPLE_BLOCK) / SAMPLES);
    for (let k = 0; k <= SAMPLES; k++) feed(file.subarray(k * stride, k * stride + SAMPLE_BLOCK));
    feed(file.subarray(len - SAMPLE_BLOCK));
  }
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  return hex(h1) + hex(h2);
}
