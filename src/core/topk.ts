// Bounded top-k selection: a size-k min-heap whose root is the current worst
// kept item, so each push is O(log k) and memory stays O(k) however many
// items stream through.

export interface Ranked {
  /** Caller's handle (a slot number, a candidate index…). */
  id: number;
  score: number;
  /** Tie-breaker: among equal scores the smaller order wins. */
  order: number;
}

/** Ascending by the standard result order: higher score first, then smaller `order`. */
export function compareRanked(a: Ranked, b: Ranked): number {
  if (a.score !== b.score) return a.score > b.score ? -1 : 1;
  return a.order - b.order;
}

export class TopK {
  readonly k: number;
  private readonly ids: number[] = [];
  private readonly scores: number[] = [];
  private readonly orders: number[] = [];
  private seq = 0;

  constructor(k: number) {
    this.k = Math.max(0, Math.floor(k));
  }

  get size(): number {
    return this.ids.length;
  }

  /**
   * Offers an item. `order` defaults to the push sequence, so equal scores keep
   * insertion order. NaN scores rank below everything.
   */
  push(id: number, score: number, order: number = this.seq): void {
    this.seq++;
    if (this.k === 0) return;
    const s = Number.isNaN(score) ? -Infinity : score;
    const n = this.ids.length;
    if (n < this.k) {
      this.ids.push(id);
      this.scores.push(s);
      this.orders.push(order);
      this.up(n);
    } else if (this.worse(0, s, order)) {
      this.ids[0] = id;
      this.scores[0] = s;
      this.orders[0] = order;
      this.down(0);
    }
  }

  /** Whether an item with this score/order would currently be kept. */
  accepts(score: number, order: number): boolean {
    return this.ids.length < this.k || this.worse(0, score, order);
  }

  /** Kept items, best first. Does not empty the selector. */
  results(): Ranked[] {
    const out: Ranked[] = [];
    for (let i = 0; i < this.ids.length; i++) out.push({ id: this.ids[i]!, score: this.scores[i]!, order: this.orders[i]! });
    return out.sort(compareRanked);
  }

  /** True when heap item `i` ranks below (score, order). */
  private worse(i: number, score: number, order: number): boolean {
    const s = this.scores[i]!;
    return s < score || (s === score && this.orders[i]! > order);
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.worse(i, this.scores[p]!, this.orders[p]!)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.ids.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let w = i;
      if (l < n && this.worse(l, this.scores[w]!, this.orders[w]!)) w = l;
      if (r < n && this.worse(r, this.scores[w]!, this.orders[w]!)) w = r;
      if (w === i) return;
      this.swap(i, w);
      i = w;
    }
  }

  private swap(a: number, b: number): void {
    const id = this.ids[a]!;
    const s = this.scores[a]!;
    const o = this.orders[a]!;
    this.ids[a] = this.ids[b]!;
    this.scores[a] = this.scores[b]!;
    this.orders[a] = this.orders[b]!;
    this.ids[b] = id;
    this.scores[b] = s;
    this.orders[b] = o;
  }
}

/** Top-k of a score array (index = id = order). */
export function topKOf(scores: ArrayLike<number>, k: number): Ranked[] {
  const h = new TopK(k);
  for (let i = 0; i < scores.length; i++) h.push(i, scores[i]!, i);
  return h.results();
}
