// Several tabs (each with its own worker) on one index name. IndexedDB keeps
// every transaction whole, but each tab also holds the index in memory, and
// plans writes against it: without coordination a clear() in one tab left
// another tab's memory (and its "unchanged" checks) describing documents that
// were no longer stored.
//
// - Writes are serialized across tabs by a Web Lock per index name, taken per
//   committed group (not per add call): another tab's clear or remove runs
//   between two groups of a long add, never inside one.
// - Inside the lock, before writing, this tab first brings its memory up to
//   the stored generation (`meta.generation`, bumped by every write), so what
//   it deletes and what it counts as new is decided against the store.
// - After writing it tells the other tabs on a BroadcastChannel (generation
//   and the ids touched, or "cleared"); they re-read those ids from IndexedDB,
//   or the whole store when they missed more than the stored log holds.
//
// Without navigator.locks or BroadcastChannel (Node, fake-indexeddb) each
// part is skipped: writes run as they come, and memory catches up only at the
// next write or add of this tab (the generation check still runs).
import type { Store, StoredPut } from '../engine/store.js';
import { Serial } from '../engine/serial.js';
import type { ChangeEntry, IndexStore, StoredChanges } from './store.js';

/** What one tab tells the others after a committed write. */
export interface ChangeMessage extends ChangeEntry {
  type: 'm3search-change';
}

/** How memory is brought to what the store holds (the engine's applyStored). */
export type ApplyStored = (change: { cleared: boolean; puts: StoredPut[]; removes: string[] }) => void;

/** Bad records met while catching up: reported, left out of memory (as at restore). */
export type OnSkipped = (skipped: { id: string; reason: string }[]) => void;

export function writeLockName(name: string): string {
  return `m3search-write:${name}`;
}

export function channelName(name: string): string {
  return `m3search-changes:${name}`;
}

export class CrossTab {
  /** The stored generation memory reflects. */
  private generation: number;
  /** Catch-ups and this tab's own commits never interleave. */
  private readonly local = new Serial();
  private readonly channel: BroadcastChannel | undefined;
  private readonly locks: LockManager | undefined;
  /** Entries other tabs announced, for generations the stored log may have dropped. */
  private readonly announced = new Map<number, ChangeEntry>();
  private apply: ApplyStored = () => undefined;
  private closed = false;

  constructor(
    private readonly name: string,
    private readonly store: IndexStore,
    generation: number,
    private readonly onSkipped: OnSkipped = () => undefined,
  ) {
    this.generation = generation;
    this.locks = (globalThis.navigator as { locks?: LockManager } | undefined)?.locks;
    if (typeof BroadcastChannel === 'function') {
      this.channel = new BroadcastChannel(channelName(name));
      this.channel.onmessage = (ev: MessageEvent<unknown>) => this.heard(ev.data);
      (this.channel as { unref?: () => void }).unref?.(); // Node: an open channel must not keep the process alive
    }
  }

  /** Where caught-up changes go (set once the engine exists). */
  attach(apply: ApplyStored): void {
    this.apply = apply;
  }

  /** The engine's store: the IndexedDB writes, run under the cross-tab lock with memory caught up first. */
  asStore(): Store {
    return {
      write: (puts, removes) => this.store.write(puts, removes),
      clear: () => this.store.clear(),
      exclusive: (section) => this.exclusive(section),
      refresh: () => this.refresh(),
    };
  }

  /** Brings memory up to what is stored now (outside the lock: a read snapshot is consistent on its own). */
  refresh(): Promise<void> {
    return this.local.run(() => this.catchUp());
  }

  /**
   * Runs one store write (`section`) as the only writer of this index across
   * tabs, after catching memory up; then announces it.
   */
  exclusive<T>(section: () => Promise<T>): Promise<T> {
    const run = () => this.local.run(() => this.writeSection(section));
    if (this.locks === undefined || this.closed) return run();
    return this.locks.request(writeLockName(this.name), { mode: 'exclusive' }, run) as Promise<T>;
  }

  close(): void {
    this.closed = true;
    this.channel?.close();
  }

  // ------------------------------------------------------------ internals

  private async writeSection<T>(section: () => Promise<T>): Promise<T> {
    await this.catchUp();
    const before = this.store.meta.generation ?? 0;
    let result: T;
    try {
      result = await section();
    } catch (e) {
      // A write that committed but whose memory half failed: re-read everything next time.
      if ((this.store.meta.generation ?? 0) !== before) this.generation = -1;
      throw e;
    }
    const meta = this.store.meta;
    const now = meta.generation ?? 0;
    if (now === before) return result; // the section wrote nothing
    // Holding the lock, the only write since `before` is ours: memory is at `now`. Without locks another
    // writer may have slipped in between: stay at `before`, so the next catch-up re-reads both.
    this.generation = before !== this.generation ? -1 : now === before + 1 ? now : before;
    const entry = meta.log?.at(-1);
    if (entry !== undefined && entry.generation === now) this.announce(entry);
    return result;
  }

  private async catchUp(): Promise<void> {
    if (this.closed) return;
    const changes: StoredChanges | undefined = await this.store.changesSince(this.generation, this.announced);
    if (changes === undefined) return;
    const skipped = changes.problems.map((p) => ({ id: p.id, reason: p.reason }));
    const puts = changes.entries.map((e) => ({ record: e.record, hash: e.hash }));
    if (changes.kind === 'all') this.apply({ cleared: true, puts, removes: [] });
    else this.apply({ cleared: changes.cleared, puts, removes: [...changes.removed, ...changes.problems.map((p) => p.id)] });
    this.generation = changes.generation;
    for (const g of this.announced.keys()) if (g <= this.generation) this.announced.delete(g);
    if (skipped.length > 0) this.onSkipped(skipped);
  }

  private announce(entry: ChangeEntry): void {
    const msg: ChangeMessage = { type: 'm3search-change', ...entry };
    try {
      this.channel?.postMessage(msg);
    } catch {
      // A closed channel: the other tabs catch up at their next write instead.
    }
  }

  private heard(data: unknown): void {
    if (!isChangeMessage(data) || data.generation <= this.generation) return;
    this.announced.set(data.generation, { generation: data.generation, ...(data.cleared ? { cleared: true } : {}), ...(data.ids ? { ids: [...data.ids] } : {}) });
    // Failures here are not the caller's: the next write or add catches up (and reports) again.
    this.refresh().catch(() => undefined);
  }
}

function isChangeMessage(d: unknown): d is ChangeMessage {
  if (typeof d !== 'object' || d === null) return false;
  const m = d as Partial<ChangeMessage>;
  return m.type === 'm3search-change' && typeof m.generation === 'number' && (m.ids === undefined || (Array.isArray(m.ids) && m.ids.every((i) => typeof i === 'string')));
}
