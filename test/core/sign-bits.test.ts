// 1-bit sign codes (src/core/sign-bits.ts), worked by hand: which bit each
// dimension lands in, rows of a dimension that is not a multiple of 8, and the
// asymmetric score Σ q[d]·(±1). The site's dense-bits suite checks the pass end
// to end with the ONNX test model; this one is fast enough for mutation testing
// (issue #18: under Stryker's suites the file scored 0%).
import { describe, expect, it } from 'vitest';
import { packSigns, SignScorer, signBytes } from '../../src/core/sign-bits.js';
import { seededRandom } from '../../src/eval/random.js';

describe('sign codes', () => {
  it('take ⌈dim/8⌉ bytes a row', () => {
    expect([0, 1, 7, 8, 9, 16, 1023, 1024].map(signBytes)).toEqual([0, 1, 1, 1, 2, 2, 128, 128]);
  });

  it('set bit d%8 of byte d/8 for each positive value only (0 and negatives are −1)', () => {
    // Row 0: dims 0, 3, 5 and 8 are positive → byte 0 = 1 + 8 + 32, byte 1 = 1. Row 1: all positive.
    const q = Int8Array.from([1, -1, 0, 5, -3, 2, 0, 0, 7, 1, 1, 1, 1, 1, 1, 1, 1, 127]);
    expect([...packSigns(q, 9)]).toEqual([41, 1, 255, 1]);
    // A given row count, and a trailing partial row left out.
    expect([...packSigns(q, 9, 1)]).toEqual([41, 1]);
    expect([...packSigns(q.subarray(0, 13), 9)]).toEqual([41, 1]);
    expect(packSigns(q, 0)).toHaveLength(0);
  });
});

describe('SignScorer', () => {
  const query = Float32Array.from([0.5, -1, 2, 0.25, 1, 1, 1, 1, 3]);

  it('scores Σ q[d]·(±1) per row, written to out from the given offset', () => {
    const codes = Uint8Array.from([41, 1, 255, 1]);
    const out = new Float32Array(4).fill(99);
    new SignScorer(query).scoreInto(codes, 2, out, 1);
    // Row 0: +0.5 +1 −2 +0.25 −1 +1 −1 −1 +3 = 0.75; row 1: Σ q = 8.75.
    expect([...out]).toEqual([99, 0.75, 8.75, 99]);
  });

  it('a bit past the dimension in the last byte counts for nothing', () => {
    const out = new Float32Array(2);
    new SignScorer(query).scoreInto(Uint8Array.from([255, 1, 255, 255]), 2, out, 0);
    expect([...out]).toEqual([8.75, 8.75]);
  });

  it('equals the direct sum for random codes at 13 and 1024 dims', () => {
    const random = seededRandom(7);
    for (const dim of [13, 1024]) {
      const q = Float32Array.from({ length: dim }, () => random() * 2 - 1);
      const rows = 5;
      const int8 = Int8Array.from({ length: rows * dim }, () => Math.floor(random() * 255) - 127);
      const out = new Float32Array(rows);
      new SignScorer(q).scoreInto(packSigns(int8, dim), rows, out, 0);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let d = 0; d < dim; d++) s += int8[r * dim + d]! > 0 ? q[d]! : -q[d]!;
        expect(out[r]).toBeCloseTo(s, 3);
      }
    }
  });
});
