// <m3-search>: a search box with results as you type. Keyboard: ↑/↓ move,
// Enter opens, Escape closes (twice: clears), "/" anywhere focuses the box.
// Hits are built from text nodes and <mark> elements only; index text is
// never parsed as HTML.
import type { SiteClient } from './client.js';
import type { SiteHit, SiteResults, Status } from './protocol.js';
import { STYLES } from './styles.js';
import { safeHref } from '../browser/safe-url.js';

let sharedClient: SiteClient | undefined;

/** Set by the script bundle's entry before the element is defined. */
export function useClient(client: SiteClient): void {
  sharedClient = client;
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
    const style = document.createElement('style');
    style.textContent = STYLES;
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
    root.append(style, box, this.panel);

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
    clearTimeout(this.timer);
  }

  /** The mode that answered the results on show ('lexical' | 'hybrid'), for scripts and tests. */
  get mode(): string {
    return this.modeEl.dataset.mode ?? '';
  }

  private start(): void {
    if (!sharedClient || this.unlisten) return;
    this.unlisten = sharedClient.onStatus((s) => this.onStatus(s));
    sharedClient.open().then(
      (info) => (this.siteRoot = info.siteRoot),
      (e: Error) => this.setStatus(`Search is unavailable: ${e.message}`),
    );
  }

  private onStatus(s: Status): void {
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
        if (s.where !== 'offline') this.setStatus(s.where === 'model' ? `Keyword results only: ${s.message}` : s.message);
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
    this.start();
    const q = query.trim();
    const seq = ++this.seq;
    if (!q) {
      this.lastQuery = '';
      this.render(undefined);
      return;
    }
    try {
      const res = await sharedClient!.search(q, Number(this.getAttribute('k') ?? 10));
      if (seq !== this.seq) return; // a newer query is on its way
      this.lastQuery = q;
      this.render(res);
    } catch (e) {
      if (seq === this.seq) this.setStatus(`Search failed: ${(e as Error).message}`);
    }
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

function mb(n: number): string {
  return `${(n / 1048576).toFixed(1)} MB`;
}
