// A least-recently-used map bounded by bytes: what a long visit keeps of the
// index files it has fetched (raw bytes waiting for the offline copy, decoded
// shards in the reader) stays under a fixed budget however many queries run.

export class ByteLru<V> {
  private readonly items = new Map<string, { value: V; bytes: number }>();
  private used = 0;

  constructor(private max: number) {}

  get maxBytes(): number {
    return this.max;
  }

  /** Changes the budget, dropping the least recently used entries to fit (0: keeps nothing). */
  resize(maxBytes: number): void {
    this.max = maxBytes;
    this.evict();
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.items.size;
  }

  /** The value, marked as the most recently used. */
  get(key: string): V | undefined {
    const e = this.items.get(key);
    if (e === undefined) return undefined;
    this.items.delete(key);
    this.items.set(key, e);
    return e.value;
  }

  /** Adds `value` counted as `bytes`, dropping the least recently used entries to fit; larger than the whole budget: not kept. */
  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    if (bytes > this.max) return;
    this.items.set(key, { value, bytes });
    this.used += bytes;
    this.evict();
  }

  private evict(): void {
    for (const [k, e] of this.items) {
      if (this.used <= this.max) break;
      this.items.delete(k);
      this.used -= e.bytes;
    }
  }

  delete(key: string): void {
    const e = this.items.get(key);
    if (e === undefined) return;
    this.items.delete(key);
    this.used -= e.bytes;
  }

  clear(): void {
    this.items.clear();
    this.used = 0;
  }
}
