// Window entries of long documents and how their hits fold back into one hit
// per document, checked with hand-written hits and hand-computed scores
// (s₁ + d·s₂ + d²·s₃ worked out below, never taken from the code).
import { describe, expect, it } from 'vitest';
import type { Doc, Hit } from '../../src/core/types.js';
import { aggregateWindows, isWindowDoc, parentView, windowDoc, windowId, WINDOW_META_KEY } from '../../src/engine/long-docs.js';

const win = (parent: string, index: number, score: number, extra: Partial<Doc> = {}): Hit => ({
  id: `${parent}#w${index}`,
  score,
  doc: { id: `${parent}#w${index}`, text: `text of ${parent} window ${index}`, ...extra, meta: { ...(extra.meta ?? {}), m3window: { parent, index, start: index * 10, end: index * 10 + 15 } } },
  signals: { sparse: { score, rank: 1 } },
});
const plain = (id: string, score: number): Hit => ({ id, score, doc: { id, text: `plain ${id}` }, signals: { dense: { score, rank: 1 } } });

describe('window ids and entries', () => {
  it('windowId is parent#w<i>', () => {
    expect(windowId('doc', 0)).toBe('doc#w0');
    expect(windowId('a#b', 12)).toBe('a#b#w12');
    expect(WINDOW_META_KEY).toBe('m3window');
  });

  it('windowDoc keeps title, url and user meta, adds the window meta, and copies it', () => {
    const w = { parent: 'p', index: 2, start: 30, end: 70 };
    const d = windowDoc({ id: 'p', text: 'whole text', title: 'T', url: '/u', meta: { kind: 'x' } }, w, 'part');
    expect(d).toEqual({ id: 'p#w2', text: 'part', title: 'T', url: '/u', meta: { kind: 'x', m3window: { parent: 'p', index: 2, start: 30, end: 70 } } });
    expect(d.meta!.m3window).not.toBe(w);
    const bare = windowDoc({ id: 'q', text: 't' }, { parent: 'q', index: 0, start: 0, end: 1 }, 't');
    expect(Object.keys(bare).sort()).toEqual(['id', 'meta', 'text']);
    expect(bare.meta).toEqual({ m3window: { parent: 'q', index: 0, start: 0, end: 1 } });
  });

  it('isWindowDoc needs an object with a string parent and a number index', () => {
    expect(isWindowDoc({ id: 'a', text: 't', meta: { m3window: { parent: 'p', index: 0 } } })).toBe(true);
    expect(isWindowDoc({ id: 'a', text: 't' })).toBe(false);
    expect(isWindowDoc({ id: 'a', text: 't', meta: {} })).toBe(false);
    expect(isWindowDoc({ id: 'a', text: 't', meta: { m3window: null } })).toBe(false);
    expect(isWindowDoc({ id: 'a', text: 't', meta: { m3window: 'p#0' } })).toBe(false);
    expect(isWindowDoc({ id: 'a', text: 't', meta: { m3window: { parent: 1, index: 0 } } })).toBe(false);
    expect(isWindowDoc({ id: 'a', text: 't', meta: { m3window: { parent: 'p', index: '0' } } })).toBe(false);
    expect(isWindowDoc({ id: 'a', text: 't', meta: { m3window: { index: 0 } } })).toBe(false);
  });

  it('parentView: a plain doc is itself; a window becomes its parent with user meta only', () => {
    const d: Doc = { id: 'a', text: 't', meta: { k: 1 } };
    expect(parentView(d)).toEqual({ doc: d });
    expect(parentView(d).window).toBeUndefined();
    const w = parentView({ id: 'p#w1', text: 'part', title: 'T', url: '/u', meta: { k: 2, m3window: { parent: 'p', index: 1, start: 5, end: 9 } } });
    expect(w).toEqual({ doc: { id: 'p', text: 'part', title: 'T', url: '/u', meta: { k: 2 } }, window: { parent: 'p', index: 1, start: 5, end: 9 } });
    const bare = parentView({ id: 'p#w0', text: 'x', meta: { m3window: { parent: 'p', index: 0, start: 0, end: 1 } } });
    expect(Object.keys(bare.doc).sort()).toEqual(['id', 'text']);
  });
});

describe('aggregateWindows', () => {
  // Raw hits best first: A has windows 0.9, 0.5, 0.4, 0.2; B one window 1.0; C (plain) 0.6.
  const raw = [win('B', 3, 1.0), win('A', 1, 0.9), plain('C', 0.6), win('A', 0, 0.5), win('A', 4, 0.4), win('A', 2, 0.2)];
  const counts = (id: string): number => ({ A: 5, B: 7 })[id] ?? -1;

  it("'max': the best window's score, one hit per document, window info from the best window", () => {
    const hits = aggregateWindows(raw, 10, 'max', counts);
    expect(hits.map((h) => [h.id, h.score])).toEqual([['B', 1.0], ['A', 0.9], ['C', 0.6]]);
    expect(hits[1]!.window).toEqual({ index: 1, count: 5, start: 10, end: 25, text: 'text of A window 1' });
    expect(hits[1]!.doc).toEqual({ id: 'A', text: 'text of A window 1' });
    expect(hits[1]!.signals).toEqual({ sparse: { score: 0.9, rank: 1 } });
    expect(hits[0]!.window!.count).toBe(7);
    expect(hits[2]!.window).toBeUndefined();
    expect(hits[2]!.doc).toEqual({ id: 'C', text: 'plain C' });
  });

  it('decay 0.5 over 3 windows (the default): 0.9 + 0.5·0.5 + 0.25·0.4 = 1.25 puts A first', () => {
    const hits = aggregateWindows(raw, 10, {}, counts);
    expect(hits.map((h) => h.id)).toEqual(['A', 'B', 'C']);
    expect(hits[0]!.score).toBeCloseTo(1.25, 12);
    expect(hits[1]!.score).toBeCloseTo(1.0, 12);
    expect(hits[2]!.score).toBeCloseTo(0.6, 12);
  });

  it('explicit decay and window count: decay 0.1 over 2 windows = 0.9 + 0.05 = 0.95 (below B); all 4 windows at decay 1 = 2.0', () => {
    const two = aggregateWindows(raw, 10, { decay: 0.1, windows: 2 }, counts);
    expect(two.map((h) => h.id)).toEqual(['B', 'A', 'C']);
    expect(two[1]!.score).toBeCloseTo(0.95, 12);
    const all = aggregateWindows(raw, 10, { decay: 1, windows: 10 }, counts);
    expect(all[0]!.id).toBe('A');
    expect(all[0]!.score).toBeCloseTo(2.0, 12);
    const one = aggregateWindows(raw, 10, { decay: 1, windows: 1 }, counts);
    expect(one.map((h) => [h.id, h.score])).toEqual([['B', 1.0], ['A', 0.9], ['C', 0.6]]);
    const zero = aggregateWindows(raw, 10, { decay: 0, windows: 3 }, counts);
    expect(zero.map((h) => [h.id, h.score])).toEqual([['B', 1.0], ['A', 0.9], ['C', 0.6]]);
  });

  it('keeps the best k; ties keep the order of first appearance', () => {
    expect(aggregateWindows(raw, 2, 'max', counts).map((h) => h.id)).toEqual(['B', 'A']);
    expect(aggregateWindows(raw, 0, 'max', counts)).toEqual([]);
    const tie = [win('X', 0, 0.5), win('Y', 0, 0.5), win('Z', 0, 0.5)];
    expect(aggregateWindows(tie, 3, 'max', counts).map((h) => h.id)).toEqual(['X', 'Y', 'Z']);
    expect(aggregateWindows([], 3, 'max', counts)).toEqual([]);
  });

  it.each([[{ decay: -0.1 }], [{ decay: 1.5 }], [{ decay: Number.NaN }], [{ windows: 0 }], [{ windows: 1.5 }], [{ windows: -2 }]])('refuses %j', (how) => {
    let err: unknown;
    try {
      aggregateWindows(raw, 3, how, counts);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'INVALID_OPTION', details: { aggregate: how } });
    expect((err as Error).message).toBe('aggregate must be "max" or { decay in [0,1], windows ≥ 1 }.');
  });

  it('accepts the bounds decay 0 and 1', () => {
    expect(() => aggregateWindows(raw, 3, { decay: 0 }, counts)).not.toThrow();
    expect(() => aggregateWindows(raw, 3, { decay: 1 }, counts)).not.toThrow();
  });
});
