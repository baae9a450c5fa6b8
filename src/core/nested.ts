// Nested multi-vectors ("flexible late interaction"): a passage's token vectors
// reduced to an ordered list whose every prefix is a usable summary, so one
// stored index serves any test-time budget (first 1, 2, 4, … rows).
//
// Construction: top-down (bisecting) hierarchical clustering on cosine.
// Row 0 is the normalized mean of all tokens. Each step splits the cluster
// with the largest spread in two (2-means) and emits the centroid of the child
// that lies farther from its parent; the parent's already-emitted row keeps
// standing for the nearer child. Rows therefore come out coarse to fine and
// any prefix covers every token by some ancestor centroid.

import type { MultiVector } from './types.js';

/** Default cap on stored rows per passage under `multiVectors: 'nested'`. */
export const DEFAULT_MAX_MULTI_VECTORS = 32;

/** 2-means rounds per split (assignments settle within a few on token vectors). */
const ITERATIONS = 4;

/**
 * What stands for a cluster: its renormalized mean (`centroid`, default) or
 * the member row closest to that mean (`medoid`: an actual token vector, which
 * keeps exact-token matches exact).
 */
export type NestedRepresentative = 'centroid' | 'medoid';

interface Cluster {
  members: Int32Array;
  /** Normalized mean of the members' rows. */
  centroid: Float32Array;
  /** Member row closest to the centroid. */
  medoid: number;
  /** Σ (1 − cos(member, centroid)): how badly one row summarizes the cluster. */
  spread: number;
}

/**
 * Reduces `m` to at most `max` rows ordered coarse to fine (each row
 * L2-normalized). Deterministic; the input is not modified. Passages with no
 * rows come back unchanged.
 */
export function nestMultiVectors(
  m: MultiVector,
  max: number = DEFAULT_MAX_MULTI_VECTORS,
  representative: NestedRepresentative = 'centroid',
): MultiVector {
  const { count, dim, data } = m;
  if (count === 0 || max < 1) return { data: new Float32Array(0), count: 0, dim };
  const target = Math.min(max, count);
  const out = new Float32Array(target * dim);
  const all = new Int32Array(count);
  for (let i = 0; i < count; i++) all[i] = i;
  const root = makeCluster(data, dim, all);
  const row = (c: Cluster): Float32Array => (representative === 'medoid' ? data.subarray(c.medoid * dim, (c.medoid + 1) * dim) : c.centroid);
  out.set(row(root), 0);
  let emitted = 1;
  const open: Cluster[] = [root];
  while (emitted < target) {
    // The cluster one row summarizes worst (ties: earliest, for determinism).
    let pick = -1;
    for (let i = 0; i < open.length; i++) {
      const c = open[i]!;
      if (c.members.length < 2) continue;
      if (pick < 0 || c.spread > open[pick]!.spread) pick = i;
    }
    if (pick < 0) break; // only singletons left (target ≤ count makes this unreachable)
    const parent = open[pick]!;
    const [a, b] = bisect(data, dim, parent);
    const far = dot(a.centroid, parent.centroid, dim) <= dot(b.centroid, parent.centroid, dim) ? a : b;
    out.set(row(far), emitted * dim);
    emitted++;
    open.splice(pick, 1, a, b);
  }
  return { data: emitted === target ? out : out.slice(0, emitted * dim), count: emitted, dim };
}

function makeCluster(data: Float32Array, dim: number, members: Int32Array): Cluster {
  const centroid = meanDirection(data, dim, members);
  let spread = 0;
  let medoid = members[0] ?? 0;
  let best = -Infinity;
  for (let i = 0; i < members.length; i++) {
    const r = members[i]!;
    const s = rowDot(data, r, centroid, dim);
    spread += 1 - s;
    if (s > best) {
      best = s;
      medoid = r;
    }
  }
  return { members, centroid, medoid, spread };
}

/** Splits a cluster in two by spherical 2-means, seeded by its two most distant rows. */
function bisect(data: Float32Array, dim: number, c: Cluster): [Cluster, Cluster] {
  const rows = c.members;
  // Seed a: the row farthest from the centroid; seed b: the row farthest from a.
  let a = rows[0]!;
  let worst = Infinity;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const s = rowDot(data, r, c.centroid, dim);
    if (s < worst) {
      worst = s;
      a = r;
    }
  }
  const ca = data.slice(a * dim, (a + 1) * dim);
  let b = rows[0] === a ? rows[1]! : rows[0]!;
  worst = Infinity;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r === a) continue;
    const s = rowDot(data, r, ca, dim);
    if (s < worst) {
      worst = s;
      b = r;
    }
  }
  let centA: Float32Array = ca;
  let centB: Float32Array = data.slice(b * dim, (b + 1) * dim);
  const side = new Uint8Array(rows.length); // 0 → A, 1 → B
  for (let it = 0; it < ITERATIONS; it++) {
    let changed = false;
    let nb = 0;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const s = rowDot(data, r, centB, dim) > rowDot(data, r, centA, dim) ? 1 : 0;
      if (s !== side[i]) changed = true;
      side[i] = s;
      nb += s;
    }
    // Keep both sides non-empty: the seeds stay on their own side.
    if (nb === 0 || nb === rows.length) {
      side.fill(0);
      side[rows.indexOf(b)] = 1;
    }
    centA = meanDirection(data, dim, pick(rows, side, 0));
    centB = meanDirection(data, dim, pick(rows, side, 1));
    if (!changed && it > 0) break;
  }
  return [makeCluster(data, dim, pick(rows, side, 0)), makeCluster(data, dim, pick(rows, side, 1))];
}

function pick(rows: Int32Array, side: Uint8Array, want: number): Int32Array {
  let n = 0;
  for (let i = 0; i < side.length; i++) if (side[i] === want) n++;
  const out = new Int32Array(n);
  let w = 0;
  for (let i = 0; i < side.length; i++) if (side[i] === want) out[w++] = rows[i]!;
  return out;
}

/** Normalized mean of the given rows (a zero mean falls back to the first row). */
function meanDirection(data: Float32Array, dim: number, members: Int32Array): Float32Array {
  const v = new Float32Array(dim);
  for (let i = 0; i < members.length; i++) {
    const o = members[i]! * dim;
    for (let t = 0; t < dim; t++) v[t]! += data[o + t]!;
  }
  let s = 0;
  for (let t = 0; t < dim; t++) s += v[t]! * v[t]!;
  if (s === 0) {
    if (members.length === 0) return v;
    const o = members[0]! * dim;
    v.set(data.subarray(o, o + dim));
    for (let t = 0; t < dim; t++) s += v[t]! * v[t]!;
    if (s === 0) return v;
  }
  const inv = 1 / Math.sqrt(s);
  for (let t = 0; t < dim; t++) v[t]! *= inv;
  return v;
}

function rowDot(data: Float32Array, row: number, v: Float32Array, dim: number): number {
  const o = row * dim;
  let s = 0;
  for (let t = 0; t < dim; t++) s += data[o + t]! * v[t]!;
  return s;
}

function dot(a: Float32Array, b: Float32Array, dim: number): number {
  let s = 0;
  for (let t = 0; t < dim; t++) s += a[t]! * b[t]!;
  return s;
}
