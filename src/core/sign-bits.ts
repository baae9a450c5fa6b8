// 1-bit sign codes of dense rows and the asymmetric score a float query gives
// them: each stored dimension becomes +1 (its int8 value > 0) or -1, packed 8
// to a byte (bit b of byte j is dimension 8j + b). A static site's first pass
// scores every passage this way from dim/8 bytes each and fetches the int8
// rows of the best only (src/site/query.ts). Environment-free.

/** Bytes of one row's sign code. */
export function signBytes(dim: number): number {
  return (dim + 7) >> 3;
}

/** Sign codes of `rows` int8 rows of `dim` values each, row after row. */
export function packSigns(q: Int8Array, dim: number, rows = Math.floor(q.length / Math.max(1, dim))): Uint8Array {
  const per = signBytes(dim);
  const out = new Uint8Array(rows * per);
  for (let r = 0; r < rows; r++) {
    const at = r * dim;
    for (let d = 0; d < dim; d++) if (q[at + d]! > 0) out[r * per + (d >> 3)]! |= 1 << (d & 7);
  }
  return out;
}

/**
 * Scores sign codes against one float query: Σ_d q[d]·(±1), the query kept in
 * full precision (asymmetric, which ranks better than Hamming distance between
 * two codes). A table per code byte — 256 partial sums each — makes a row cost
 * dim/8 lookups.
 */
export class SignScorer {
  private readonly table: Float32Array;
  private readonly per: number;

  constructor(query: Float32Array) {
    const dim = query.length;
    this.per = signBytes(dim);
    this.table = new Float32Array(this.per * 256);
    for (let j = 0; j < this.per; j++) {
      for (let byte = 0; byte < 256; byte++) {
        let s = 0;
        for (let b = 0; b < 8 && 8 * j + b < dim; b++) s += byte & (1 << b) ? query[8 * j + b]! : -query[8 * j + b]!;
        this.table[j * 256 + byte] = s;
      }
    }
  }

  /** Scores of `rows` codes in `codes` (row after row), written to `out` from `at`. */
  scoreInto(codes: Uint8Array, rows: number, out: Float32Array, at: number): void {
    const per = this.per;
    const t = this.table;
    for (let r = 0; r < rows; r++) {
      const base = r * per;
      let s = 0;
      for (let j = 0; j < per; j++) s += t[(j << 8) | codes[base + j]!]!;
      out[at + r] = s;
    }
  }
}
