// L0 (non-zero count) statistics of sparse vectors. Passage L0 drives index
// size, query L0 drives search cost, so an index reports both after indexing
// (e.g. to tune SPLADE top-k/threshold pruning per side).

/** Distribution of non-zero counts (all zeros when `count` is 0). */
export interface L0Summary {
  /** Vectors summarized. */
  count: number;
  min: number;
  p50: number;
  p90: number;
  max: number;
  mean: number;
}

export interface SparsityReport {
  /** Every live document's sparse vector. */
  docs: L0Summary;
  /** The most recent queries searched (up to `QUERY_L0_WINDOW`). */
  queries: L0Summary;
}

/** Query L0 values remembered for the report. */
export const QUERY_L0_WINDOW = 10_000;

export function summarizeL0(values: ArrayLike<number>): L0Summary {
  const n = values.length;
  if (n === 0) return { count: 0, min: 0, p50: 0, p90: 0, max: 0, mean: 0 };
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  // Nearest-rank percentiles: always an observed value.
  const at = (p: number): number => sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]!;
  return { count: n, min: sorted[0]!, p50: at(0.5), p90: at(0.9), max: sorted[n - 1]!, mean: sum / n };
}

/** A ring of the last `capacity` values. */
export class L0Window {
  private readonly buf: Uint32Array;
  private next = 0;
  private filled = 0;

  constructor(capacity = QUERY_L0_WINDOW) {
    this.buf = new Uint32Array(capacity);
  }

  record(nnz: number): void {
    this.buf[this.next] = nnz;
    this.next = (this.next + 1) % this.buf.length;
    if (this.filled < this.buf.length) this.filled++;
  }

  values(): Uint32Array {
    return this.buf.subarray(0, this.filled);
  }

  clear(): void {
    this.next = 0;
    this.filled = 0;
  }
}
