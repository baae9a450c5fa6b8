// Window entries of long documents and how their hits fold back into one hit
// per document. A window is an ordinary index entry whose meta carries
// `m3window` (parent id, window number, character range), so it persists as a
// plain StoredRecord (IndexedDB, snapshots) and a reopened index still knows
// which document each window belongs to.
import { M3SearchError } from '../core/errors.js';
import type { Doc, Hit, Metadata } from '../core/types.js';

/** Meta key holding a window's place in its document. */
export const WINDOW_META_KEY = 'm3window';

export interface WindowMeta {
  parent: string;
  index: number;
  start: number;
  end: number;
}

/**
 * Document score from its windows' scores (sorted best first):
 * - `'max'`: the best window's score;
 * - `{ decay, windows }`: s₁ + decay·s₂ + decay²·s₃ … over the best `windows`
 *   windows (default decay 0.5, 3 windows), so a document relevant in several
 *   places outranks one with a single equally good window.
 */
export type Aggregation = 'max' | { decay?: number; windows?: number };

/** Index id of window `i` of `parent`. */
export function windowId(parent: string, i: number): string {
  return `${parent}#w${i}`;
}

export function windowDoc(doc: Doc, w: WindowMeta, text: string): Doc {
  const meta: Metadata = { ...(doc.meta ?? {}), [WINDOW_META_KEY]: { ...w } };
  const out: Doc = { id: windowId(doc.id, w.index), text, meta };
  if (doc.title !== undefined) out.title = doc.title;
  if (doc.url !== undefined) out.url = doc.url;
  return out;
}

export function isWindowDoc(d: Readonly<Doc>): boolean {
  const m = d.meta?.[WINDOW_META_KEY] as Partial<WindowMeta> | undefined;
  return typeof m === 'object' && m !== null && typeof m.parent === 'string' && typeof m.index === 'number';
}

/** The document as its owner sees it: parent id, user meta only (window text stands in for the text). */
export function parentView(d: Readonly<Doc>): { doc: Doc; window?: WindowMeta } {
  if (!isWindowDoc(d)) return { doc: d as Doc };
  const { [WINDOW_META_KEY]: w, ...userMeta } = d.meta!;
  const doc: Doc = { id: (w as WindowMeta).parent, text: d.text };
  if (d.title !== undefined) doc.title = d.title;
  if (d.url !== undefined) doc.url = d.url;
  if (Object.keys(userMeta).length > 0) doc.meta = userMeta;
  return { doc, window: w as WindowMeta };
}

/** Groups window hits by document, scores each document, and keeps the best `k`. */
export function aggregateWindows(raw: readonly Hit[], k: number, how: Aggregation, windowCount: (parent: string) => number): Hit[] {
  const decay = how === 'max' ? 0 : (how.decay ?? 0.5);
  const keep = how === 'max' ? 1 : (how.windows ?? 3);
  if (!(decay >= 0 && decay <= 1) || !Number.isInteger(keep) || keep < 1) {
    throw new M3SearchError('INVALID_OPTION', 'aggregate must be "max" or { decay in [0,1], windows ≥ 1 }.', { aggregate: how });
  }
  const groups = new Map<string, { best: Hit; view: ReturnType<typeof parentView>; scores: number[]; first: number }>();
  raw.forEach((h, i) => {
    const view = parentView(h.doc);
    const g = groups.get(view.doc.id);
    if (g === undefined) groups.set(view.doc.id, { best: h, view, scores: [h.score], first: i });
    else g.scores.push(h.score); // raw hits come best first, so the first one seen is the best window
  });
  const scored = [...groups.values()].map((g) => {
    let s = 0;
    for (let i = 0; i < Math.min(keep, g.scores.length); i++) s += g.scores[i]! * decay ** i;
    if (how === 'max') s = g.scores[0]!;
    return { g, s };
  });
  scored.sort((a, b) => b.s - a.s || a.g.first - b.g.first);
  return scored.slice(0, k).map(({ g, s }) => {
    const hit: Hit = { id: g.view.doc.id, score: s, doc: g.view.doc, signals: g.best.signals };
    const w = g.view.window;
    if (w !== undefined) hit.window = { index: w.index, count: windowCount(w.parent), start: w.start, end: w.end, text: g.best.doc.text };
    return hit;
  });
}
