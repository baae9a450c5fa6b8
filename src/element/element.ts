// <m3-search>: a search box with results as you type, a UI over the browser
// runtime's SiteSearch (src/browser/site-client.ts). Keyboard: ↑/↓ move,
// Enter opens, Escape closes (twice: clears), "/" anywhere focuses the box.
// Hits are built from text nodes and <mark> elements only; index text is
// never parsed as HTML.
import { isM3SearchError } from '../core/errors.js';
import type { SiteSearch } from '../browser/site-client.js';
import type { SiteHit, SiteResults, SiteStatus } from '../browser/protocol.js';
import { safeHref } from '../browser/safe-url.js';
import { applyStyles } from './styles.js';

/**
 * One search per page, shared by every box on it. A search that failed (the
 * worker did not load, crashed, or the index could not be opened) is dropped,
 * never cached: the next focus or keystroke opens a fresh one.
 */
class SharedSearch {
  private current?: SiteSearch;
  private readonly boxes = new Set<(s: SiteStatus) => void>();
  private unlisten?: () => void;

  constructor(private readonly open: () => SiteSearch) {}

  /** The live search, opening a fresh one when there is none or the last one failed. */
  get(): SiteSearch {
    if (!this.current || this.current.state === 'failed' || this.current.state === 'closed') {
      this.unlisten?.();
      const search = this.open();
      this.current = search;
      this.unlisten = search.onStatus((s) => {
        for (const box of [...this.boxes]) box(s);
      });
    }
    return this.current;
  }

  /** Subscribes a box to the status of the current search (what it said so far first) and of any later one. */
  subscribe(box: (s: SiteStatus) => void): () => void {
    this.current?.onStatus(box)(); // onStatus replays the history synchronously; the broadcast carries the rest
    this.boxes.add(box);
    return () => this.boxes.delete(box);
  }
}

let shared: SharedSearch | undefined;

/** Set by the script bundle's entry before the element is defined: how to open the page's search. */
export function useSiteSearch(open: () => SiteSearch): void {
  shared = new SharedSearch(open);
}

let uid = 0;

export class M3SearchElement extends HTMLElement {
  private readonly input: HTMLInputElement;
  private readonly list: HTMLUListElement;
  private readonly panel: HTMLDivElement;
  private readonly modeEl: HTMLSpanElement;
  private readonly statusEl: HTMLDivElement;
  private hits: SiteHit[] = [];
  private active = -1;
  private seq = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private siteRoot = document.baseURI;
  private lastQuery = '';
  private unlisten?: () => void;
  private search?: SiteSearch;
  private inflight?: AbortController;
  private readonly onSlash = (e: KeyboardEvent): void => {
    const t = e.composedPath()[0] as HTMLElement | undefined;
    const typing = t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));
    if (e.key === '/' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      this.input.focus();
    }
  };

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    const id = `m3s-${++uid}`;
    const box = el('div', 'box');
    box.setAttribute('part', 'box');
    this.input = document.createElement('input');
    this.input.type = 'search';
    this.input.autocomplete = 'off';
    this.input.spellcheck = false;
    this.input.setAttribute('role', 'combobox');
    this.input.setAttribute('aria-autocomplete', 'list');
    this.input.setAttribute('aria-expanded', 'false');
    this.input.setAttribute('aria-controls', `${id}-list`);
    this.input.setAttribute('part', 'input');
    this.modeEl = el('span', 'mode');
    this.modeEl.setAttribute('part', 'mode');
    const kbd = el('kbd', '');
    kbd.textContent = '/';
    box.append(this.input, this.modeEl, kbd);
    this.panel = el('div', 'panel');
    this.panel.hidden = true;
    this.panel.setAttribute('part', 'results');
    this.list = el('ul', '');
    this.list.id = `${id}-list`;
    this.list.setAttribute('role', 'listbox');
    this.statusEl = el('div', 'status');
    this.statusEl.setAttribute('aria-live', 'polite');
    this.panel.append(this.list, this.statusEl);
    root.append(box, this.panel);
    applyStyles(root);

    this.input.addEventListener('focus', () => this.start());
    this.input.addEventListener('input', () => this.schedule());
    this.input.addEventListener('keydown', (e) => this.onKey(e));
    this.addEventListener('focusout', (e) => {
      if (!this.contains(e.relatedTarget as Node) && !root.contains(e.relatedTarget as Node)) this.panel.hidden = true;
    });
  }

  static get observedAttributes(): string[] {
    return ['placeholder'];
  }

  attributeChangedCallback(): void {
    this.input.placeholder = this.getAttribute('placeholder') ?? 'Search';
    this.input.setAttribute('aria-label', this.input.placeholder);
  }

  connectedCallback(): void {
    this.attributeChangedCallback();
    document.addEventListener('keydown', this.onSlash);
  }

  disconnectedCallback(): void {
    document.removeEventListener('keydown', this.onSlash);
    this.unlisten?.();
    // A re-attached element subscribes again (start() checks this).
    this.unlisten = undefined;
    this.search = undefined;
    this.inflight?.abort();
    clearTimeout(this.timer);
  }

  /** The mode that answered the results on show ('keyword' | 'hybrid'), for scripts and tests. */
  get mode(): string {
    return this.modeEl.dataset.mode ?? '';
  }

  /** Subscribes (once per connection to the page) and makes sure a live search is opening. */
  private start(): SiteSearch | undefined {
    if (!shared) return undefined;
    if (!this.unlisten) {
      this.unlisten = shared.subscribe((s) => this.onStatus(s));
    }
    const search = shared.get();
    if (search !== this.search) {
      this.search = search;
      search.ready.then(
        (info) => (this.siteRoot = info.siteRoot),
        () => undefined, // reported through the status (kind 'error')
      );
    }
    return search;
  }

  private onStatus(s: SiteStatus): void {
    switch (s.kind) {
      case 'index':
        this.setStatus(s.source === 'offline-copy' ? 'Offline: searching the saved copy of the index.' : '');
        break;
      case 'model-loading':
        this.setStatus('Keyword results · loading the semantic model…');
        break;
      case 'model-progress':
        this.setStatus(`Keyword results · loading the semantic model ${mb(s.loaded)}${s.total ? ` / ${mb(s.total)}` : ''}…`);
        break;
      case 'hybrid-ready':
        this.setStatus('');
        // Upgrade the list on screen to the hybrid ranking.
        if (this.lastQuery) void this.run(this.lastQuery);
        break;
      case 'offline-saved':
        this.dataset.offline = 'saved';
        break;
      case 'error':
        // WASM_BLOCKED's message is written for people (what the policy lacks), not an ONNX Runtime trace.
        if (s.where === 'model') this.setStatus(s.code === 'WASM_BLOCKED' ? s.message : `Keyword results only: ${s.message}`);
        else if (s.where !== 'offline') this.showError(unavailable(s.code, s.message));
        break;
      default:
        break;
    }
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(this.input.value), 60);
  }

  private async run(query: string): Promise<void> {
    const search = this.start();
    const q = query.trim();
    const seq = ++this.seq;
    this.inflight?.abort(); // a newer query replaces it: the worker drops the older one
    this.inflight = undefined;
    if (!q || !search) {
      this.lastQuery = '';
      this.render(undefined);
      return;
    }
    const ctl = new AbortController();
    this.inflight = ctl;
    try {
      const res = await search.search(q, { k: Number(this.getAttribute('k') ?? 10), signal: ctl.signal });
      if (seq !== this.seq) return; // a newer query is on its way
      this.lastQuery = q;
      this.render(res);
    } catch (e) {
      if (seq !== this.seq || isM3SearchError(e, 'ABORTED')) return;
      const message = (e as Error)?.message ?? String(e);
      this.showError(search.state === 'failed' ? unavailable(isM3SearchError(e) ? e.code : undefined, message) : `Search failed: ${message}`);
    } finally {
      if (this.inflight === ctl) this.inflight = undefined;
    }
  }

  /** Errors show even when no list is open; the next keystroke retries with a fresh search. */
  private showError(message: string): void {
    this.setStatus(message);
    this.panel.hidden = false;
  }

  private render(res: SiteResults | undefined): void {
    this.hits = res?.hits ?? [];
    this.active = this.hits.length ? 0 : -1;
    this.list.replaceChildren();
    if (!res) {
      this.panel.hidden = true;
      this.input.setAttribute('aria-expanded', 'false');
      return;
    }
    this.modeEl.dataset.mode = res.mode;
    this.list.dataset.query = res.query.trim(); // which query the shown list answers (as-you-type lists lag the input)
    this.modeEl.textContent = res.mode === 'hybrid' ? 'hybrid' : 'keyword';
    this.modeEl.title = res.mode === 'hybrid' ? 'Ranked by the semantic model (dense + sparse + multi-vector)' : 'Keyword (BM25) ranking; the semantic model is not loaded yet';
    this.hits.forEach((h, i) => this.list.append(this.item(h, i)));
    if (!this.hits.length) {
      const li = el('li', 'empty');
      li.textContent = `No results for “${res.query.trim()}”.`;
      this.list.append(li);
    }
    this.panel.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
    this.highlight();
  }

  private item(h: SiteHit, i: number): HTMLLIElement {
    const li = el('li', 'hit');
    li.id = `${this.list.id}-${i}`;
    li.setAttribute('role', 'option');
    li.setAttribute('part', 'hit');
    const a = el('a', '');
    const href = safeHref(h.url, this.siteRoot);
    if (href) a.href = href;
    const title = el('span', 'title');
    title.textContent = h.title;
    a.append(title);
    if (h.heading && h.heading !== h.title) {
      const sep = el('span', 'sep');
      sep.textContent = ' › ';
      const heading = el('span', 'heading');
      heading.textContent = h.heading;
      a.append(sep, heading);
    }
    const snip = el('span', 'snippet');
    let at = 0;
    for (const [s, e] of h.snippet.marks) {
      if (s > at) snip.append(document.createTextNode(h.snippet.text.slice(at, s)));
      const mark = document.createElement('mark');
      mark.textContent = h.snippet.text.slice(s, e);
      snip.append(mark);
      at = e;
    }
    if (at < h.snippet.text.length) snip.append(document.createTextNode(h.snippet.text.slice(at)));
    a.append(snip);
    a.addEventListener('mousemove', () => {
      this.active = i;
      this.highlight();
    });
    li.append(a);
    return li;
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (!this.hits.length) return;
      e.preventDefault();
      this.panel.hidden = false;
      const n = this.hits.length;
      this.active = (this.active + (e.key === 'ArrowDown' ? 1 : -1) + n) % n;
      this.highlight();
    } else if (e.key === 'Enter') {
      const hit = this.hits[Math.max(0, this.active)];
      if (!hit) return;
      e.preventDefault();
      const href = safeHref(hit.url, this.siteRoot);
      if (href) location.assign(href);
    } else if (e.key === 'Escape') {
      if (this.panel.hidden) this.input.value = '';
      this.panel.hidden = true;
      this.input.setAttribute('aria-expanded', 'false');
    }
  }

  private highlight(): void {
    Array.from(this.list.children).forEach((li, i) => li.setAttribute('aria-selected', String(i === this.active)));
    const cur = this.list.children[this.active] as HTMLElement | undefined;
    if (cur?.id) this.input.setAttribute('aria-activedescendant', cur.id);
    else this.input.removeAttribute('aria-activedescendant');
    cur?.scrollIntoView?.({ block: 'nearest' });
  }

  private setStatus(text: string): void {
    this.statusEl.textContent = text;
    this.statusEl.hidden = !text;
  }
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  return e;
}

/** The status line when the search cannot answer at all; the next keystroke tries a fresh one. */
function unavailable(code: string | undefined, message: string): string {
  return code === 'WORKER_CRASHED' ? 'Search is unavailable: its worker did not start or stopped. Type to try again.' : `Search is unavailable: ${message}`;
}

function mb(n: number): string {
  return `${(n / 1048576).toFixed(1)} MB`;
}
