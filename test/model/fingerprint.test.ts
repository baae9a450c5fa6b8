// The model fingerprint of a file streamed past in steps (FileSampler: only
// the sampled blocks kept) equals the fingerprint of its bytes, for files
// hashed whole and sampled ones, whatever the step size.
import { describe, expect, it } from 'vitest';
import { FileSampler, fingerprintBytes, sampleRanges } from '../../src/model/fingerprint.js';
import { rng } from '../core/helpers.js';

describe('fingerprint from a streamed file', () => {
  it('equals the fingerprint of the bytes, small (whole) and large (sampled) files, any step size', () => {
    const r = rng(3);
    for (const size of [0, 1, 5000, 8 << 20, (8 << 20) + 1, (9 << 20) + 12345]) {
      const bytes = Uint8Array.from({ length: size }, () => Math.floor(r() * 256));
      for (const step of [4096, 65_537, 1 << 20]) {
        const s = new FileSampler(size);
        for (let at = 0; at < size; at += step) s.add(bytes.subarray(at, at + step), at);
        expect(fingerprintBytes([bytes.subarray(0, 10), s.sample()]), `${size} in steps of ${step}`).toBe(fingerprintBytes([bytes.subarray(0, 10), bytes]));
      }
    }
  });

  it('samples 258 blocks of 4 KiB past 8 MiB, and a changed sampled byte changes it', () => {
    const size = 20 << 20;
    expect(sampleRanges(size).length).toBe(258);
    const bytes = new Uint8Array(size);
    const before = fingerprintBytes([bytes]);
    bytes[sampleRanges(size)[100]![0] + 7] = 1;
    expect(fingerprintBytes([bytes])).not.toBe(before);
  });
});
