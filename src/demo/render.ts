// Renders hits with DOM APIs only (corpus text is never parsed as HTML).
import type { Hit, Signal } from '../browser/index.js';
import { safeHref } from '../browser/safe-url.js';

const SIGNALS: Signal[] = ['dense', 'sparse', 'multi'];

export function renderHits(list: HTMLElement, hits: readonly Hit[], query: string): void {
  list.replaceChildren(...hits.map((h) => renderHit(h, terms(query))));
}

function renderHit(hit: Hit, words: string[]): HTMLElement {
  const li = el('li', 'hit');
  li.dataset.id = hit.id;
  const h2 = el('h2');
  const title = hit.doc.title ?? hit.id;
  const href = hit.doc.url === undefined ? undefined : safeHref(hit.doc.url, document.baseURI);
  if (href) {
    const a = el('a');
    a.href = href;
    a.textContent = title;
    a.rel = 'noreferrer';
    h2.append(a);
  } else h2.textContent = title;
  const lang = hit.doc.meta?.lang;
  if (typeof lang === 'string') h2.append(Object.assign(el('span', 'lang'), { textContent: lang }));
  li.append(h2);

  const p = el('p', 'snippet');
  p.append(...highlight(snippet(hit.doc.text, words), words));
  li.append(p);

  const signals = el('div', 'signals');
  signals.append(Object.assign(el('span', 'final'), { textContent: `score ${hit.score.toFixed(4)}` }));
  const keyword = hit.signals.keyword;
  if (keyword) {
    // A keyword hit has no encoder signals: its BM25 score and rank.
    const span = el('span');
    span.dataset.signal = 'keyword';
    span.textContent = `keyword ${keyword.score.toFixed(4)} (#${keyword.rank})`;
    signals.append(span);
    li.append(signals);
    return li;
  }
  for (const s of SIGNALS) {
    const v = hit.signals[s];
    const span = el('span');
    span.dataset.signal = s;
    span.textContent = v ? `${s} ${v.score.toFixed(4)} (#${v.rank})` : `${s} –`;
    signals.append(span);
  }
  li.append(signals);
  return li;
}

/** Around the first query word found, else the start; at most ~240 characters. */
export function snippet(text: string, words: string[], width = 240): string {
  const lower = text.toLowerCase();
  let at = -1;
  for (const w of words) {
    at = lower.indexOf(w);
    if (at >= 0) break;
  }
  const start = Math.max(0, at < 0 ? 0 : at - 60);
  const end = Math.min(text.length, start + width);
  return `${start > 0 ? '…' : ''}${text.slice(start, end)}${end < text.length ? '…' : ''}`;
}

function highlight(text: string, words: string[]): Node[] {
  if (words.length === 0) return [document.createTextNode(text)];
  const re = new RegExp(`(${words.map(escapeRe).join('|')})`, 'giu');
  return text.split(re).map((part, i) => (i % 2 === 1 ? Object.assign(el('mark'), { textContent: part }) : document.createTextNode(part)));
}

function terms(query: string): string[] {
  return [...new Set(query.toLowerCase().split(/[\s\p{P}]+/u).filter((w) => w.length > 1))];
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  return e;
}
