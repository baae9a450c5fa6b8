// Shared plumbing of the slot-addressed indexes: a document lives in one
// integer slot in every representation, and the owner decides which slots are
// eligible and how ties break.

/** Options every slot-level search accepts. */
export interface SlotSearchOptions {
  /** Only slots for which this returns true are considered (applied before top-k). */
  accept?: (slot: number) => boolean;
  /** Tie-breaking key for equal scores (smaller first). Default: the slot number. */
  order?: (slot: number) => number;
}

export interface SlotHit {
  slot: number;
  score: number;
}

type Growable = Float32Array | Float64Array | Int8Array | Uint16Array | Uint32Array | Int32Array | Uint8Array;

/**
 * Returns `arr` if it holds at least `need` elements, else a copy with
 * capacity doubled (at least `need`). Amortized O(1) appends.
 */
export function ensureCapacity<T extends Growable>(arr: T, need: number): T {
  if (arr.length >= need) return arr;
  return resized(arr, Math.max(need, arr.length * 2, 16));
}

/** A copy of `arr` with exactly `cap` elements (zero-filled past the old end, truncated if smaller). */
export function resized<T extends Growable>(arr: T, cap: number): T {
  const next = new (arr.constructor as new (n: number) => T)(cap);
  next.set(cap >= arr.length ? arr : arr.subarray(0, cap));
  return next;
}

/** Bytes per element of a typed array. */
export function bytesOf(arr: { BYTES_PER_ELEMENT: number }, n: number): number {
  return arr.BYTES_PER_ELEMENT * n;
}
