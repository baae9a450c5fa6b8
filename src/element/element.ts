// <m3-search>: a search box with results as you type, a UI over the browser
// runtime's SiteSearch (src/browser/site-client.ts). It follows the WAI-ARIA
// combobox pattern: the input (role combobox) owns a listbox of pages (role
// group) and their sections (role option); ↑/↓ move aria-activedescendant,
// Enter opens, Escape closes (twice: clears), "/" anywhere focuses the box,
// and a polite live region announces the result count. Hits are built from
// text nodes and <mark> elements only; index text is never parsed as HTML.
import { isM3SearchError } from '../core/errors.js';
import type { SiteSearch } from '../browser/site-client.js';
import type { SiteHit, SiteResults, SiteStatus } from '../browser/protocol.js';
import { safeHref } from '../browser/safe-url.js';
import { applyStyles } from './styles.js';
import { DEFAULT_STRINGS, fill, isTestModel, mergeStrings, type M3SearchStrings } from './strings.js';

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

/** Sections shown under one page: Pagefind shows up to three. */
const SECTIONS_PER_PAGE = 3;
/** Pages shown when the element has no `k` attribute. */
const DEFAULT_PAGES = 5;

/** The mode badge's label and title strings for each kind of answer a page shows. */
const MODE_BADGE: Readonly<Record<'hybrid' | 'sparse' | 'keyword', readonly [keyof M3SearchStrings, keyof M3SearchStrings]>> = {
  hybrid: ['modeHybrid', 'modeHybridTitle'],
  sparse: ['modeSparse', 'modeSparseTitle'],
  keyword: ['modeKeyword', 'modeKeywordTitle'],
};

/** One page of the results: its hits in rank order, the page placed by its best one. */
export interface PageGroup {
  key: string;
  hits: SiteHit[];
}

export class M3SearchElement extends HTMLElement {
  private readonly input: HTMLInputElement;
  private readonly list: HTMLUListElement;
  private readonly panel: HTMLDivElement;
  private readonly modeEl: HTMLSpanElement;
  private readonly countEl: HTMLDivElement;
  private readonly noticeEl: HTMLDivElement;
  private readonly liveEl: HTMLDivElement;
  private readonly statusEl: HTMLDivElement;
  /** The button offering the model (`data-model-load="on-request"`), hidden otherwise. */
  private readonly offerEl: HTMLButtonElement;
  /** The options on show, in list order (sections of every page). */
  private hits: SiteHit[] = [];
  private options: HTMLLIElement[] = [];
  private active = -1;
  private seq = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private siteRoot = document.baseURI;
  private lastQuery = '';
  private lastResults?: SiteResults;
  private lastStatus?: SiteStatus;
  private text: M3SearchStrings = { ...DEFAULT_STRINGS };
  private given: Partial<M3SearchStrings> = {};
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
    kbd.setAttribute('aria-hidden', 'true');
    box.append(this.input, this.modeEl, kbd);
    this.panel = el('div', 'panel');
    this.panel.hidden = true;
    this.panel.setAttribute('part', 'results');
    this.noticeEl = el('div', 'notice');
    this.noticeEl.setAttribute('part', 'notice');
    this.noticeEl.hidden = true;
    this.countEl = el('div', 'count');
    this.countEl.setAttribute('part', 'count');
    // The live region says the count; the visible line would say it twice.
    this.countEl.setAttribute('aria-hidden', 'true');
    this.list = el('ul', '');
    this.list.id = `${id}-list`;
    this.list.setAttribute('role', 'listbox');
    this.statusEl = el('div', 'status');
    this.statusEl.setAttribute('aria-live', 'polite');
    this.offerEl = el('button', 'load-model');
    this.offerEl.type = 'button';
    this.offerEl.hidden = true;
    this.offerEl.setAttribute('part', 'load-model');
    this.offerEl.addEventListener('click', () => {
      this.offerEl.disabled = true;
      void this.search?.loadModel().catch(() => undefined); // failures arrive as an 'error' status
    });
    this.panel.append(this.noticeEl, this.countEl, this.list, this.statusEl, this.offerEl);
    // Outside the panel so it is in the page before it speaks (a region shown with its text is often not read).
    this.liveEl = el('div', 'vh');
    this.liveEl.setAttribute('role', 'status');
    this.liveEl.setAttribute('aria-live', 'polite');
    this.liveEl.setAttribute('aria-atomic', 'true');
    root.append(box, this.panel, this.liveEl);
    applyStyles(root);

    this.input.addEventListener('focus', () => this.start());
    this.input.addEventListener('input', () => this.schedule());
    this.input.addEventListener('keydown', (e) => this.onKey(e));
    this.addEventListener('focusout', (e) => {
      if (!this.contains(e.relatedTarget as Node) && !root.contains(e.relatedTarget as Node)) this.setOpen(false);
    });
  }

  static get observedAttributes(): string[] {
    return ['placeholder', 'data-strings'];
  }

  attributeChangedCallback(name?: string): void {
    if (name === 'data-strings' || name === undefined) this.applyStrings();
    this.input.placeholder = this.getAttribute('placeholder') ?? this.text.placeholder;
    this.input.setAttribute('aria-label', this.input.placeholder);
    this.list.setAttribute('aria-label', this.text.listLabel);
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

  /** The UI strings in use: the defaults, then `data-strings`, then what was set here. */
  get strings(): M3SearchStrings {
    return { ...this.text };
  }

  /** Overrides some or all UI strings (merged over `data-strings` and the defaults); what is on show is redrawn. */
  set strings(value: Partial<M3SearchStrings>) {
    this.given = mergeGiven(value);
    this.applyStrings();
    this.attributeChangedCallback('placeholder');
    if (this.lastResults) this.render(this.lastResults);
    if (this.lastStatus) this.onStatus(this.lastStatus);
  }

  private applyStrings(): void {
    let attr: unknown;
    try {
      attr = JSON.parse(this.getAttribute('data-strings') ?? 'null');
    } catch {
      attr = undefined; // bad JSON: the defaults, not a broken box
    }
    this.text = { ...mergeStrings(attr), ...this.given };
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
        (info) => {
          this.siteRoot = info.siteRoot;
          // The test model's vectors are noise: say so where the results are (the worker read the manifest: no second fetch).
          this.noticeEl.hidden = !isTestModel(info.modelId ?? undefined);
          this.noticeEl.textContent = this.noticeEl.hidden ? '' : this.text.testModel;
          this.dataset.testModel = String(!this.noticeEl.hidden);
        },
        () => undefined, // reported through the status (kind 'error')
      );
    }
    return search;
  }

  private onStatus(s: SiteStatus): void {
    if (s.kind !== 'error') this.lastStatus = s;
    const t = this.text;
    switch (s.kind) {
      case 'index':
        this.setStatus(s.source === 'offline-copy' ? t.offlineCopy : '');
        break;
      case 'model-available':
        // data-model-load="on-request": the page downloads the model only when the visitor asks.
        this.offerEl.textContent = fill(t.modelOffer, { size: s.bytes ? `(${mb(s.bytes)})` : '' }).trim();
        this.offerEl.disabled = false;
        this.offerEl.hidden = false;
        break;
      case 'model-loading':
        this.offerEl.hidden = true;
        this.setStatus(t.modelLoading);
        break;
      case 'model-progress':
        this.setStatus(fill(t.modelProgress, { loaded: mb(s.loaded), total: s.total ? mb(s.total) : '', progress: `${mb(s.loaded)}${s.total ? ` / ${mb(s.total)}` : ''}` }));
        break;
      case 'hybrid-ready':
        this.setStatus('');
        // Which execution provider ranks (webgpu | wasm): for pages and tests that want to know.
        this.dataset.backend = s.backend;
        // ONNX Runtime's WASM threads (1 unless the page is cross-origin isolated).
        this.dataset.wasmThreads = String(s.wasmThreads);
        // Upgrade the list on screen to the hybrid ranking.
        if (this.lastQuery) void this.run(this.lastQuery);
        break;
      case 'offline-saved':
        this.dataset.offline = 'saved';
        break;
      case 'error':
        // WASM_BLOCKED's message is written for people (what the policy lacks), not an ONNX Runtime trace.
        if (s.where === 'model') this.setStatus(s.code === 'WASM_BLOCKED' ? s.message : fill(t.keywordOnly, { message: s.message }));
        else if (s.where !== 'offline') this.showError(this.unavailable(s.code, s.message));
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
      // `k` counts pages; ask for enough sections to fill them.
      // Five pages by default, as Pagefind's UI shows: each shown section costs its metadata shard.
      const pages = Math.min(50, Math.max(1, Math.floor(Number(this.getAttribute('k') ?? DEFAULT_PAGES)) || DEFAULT_PAGES));
      const res = await search.search(q, { k: pages * SECTIONS_PER_PAGE, signal: ctl.signal });
      if (seq !== this.seq) return; // a newer query is on its way
      this.lastQuery = q;
      this.render(res, pages);
    } catch (e) {
      if (seq !== this.seq || isM3SearchError(e, 'ABORTED')) return;
      const message = (e as Error)?.message ?? String(e);
      this.showError(search.state === 'failed' ? this.unavailable(isM3SearchError(e) ? e.code : undefined, message) : fill(this.text.searchFailed, { message }));
    } finally {
      if (this.inflight === ctl) this.inflight = undefined;
    }
  }

  /** Errors show even when no list is open; the next keystroke retries with a fresh search. */
  private showError(message: string): void {
    this.setStatus(message);
    this.panel.hidden = false;
  }

  private setOpen(open: boolean): void {
    this.panel.hidden = !open;
    this.input.setAttribute('aria-expanded', String(open && this.options.length > 0));
    this.highlight();
  }

  private render(res: SiteResults | undefined, pages = Number.POSITIVE_INFINITY): void {
    this.lastResults = res;
    this.list.replaceChildren();
    this.hits = [];
    this.options = [];
    if (!res) {
      this.active = -1;
      this.countEl.textContent = '';
      this.announce('');
      this.setOpen(false);
      return;
    }
    const t = this.text;
    const query = res.query.trim();
    this.modeEl.dataset.mode = res.mode;
    this.list.dataset.query = query; // which query the shown list answers (as-you-type lists lag the input)
    const badge = res.mode === 'hybrid' || res.mode === 'sparse' ? MODE_BADGE[res.mode] : MODE_BADGE.keyword;
    this.modeEl.textContent = t[badge[0]];
    this.modeEl.title = t[badge[1]];
    const groups = groupByPage(res.hits).slice(0, pages);
    groups.forEach((g, gi) => this.list.append(this.group(g, gi)));
    const count = groups.length === 0 ? fill(t.noResults, { query }) : fill(groups.length === 1 ? t.resultsOne : t.resultsMany, { count: groups.length, query });
    this.countEl.textContent = count;
    this.announce(count);
    this.active = this.options.length ? 0 : -1;
    this.setOpen(true);
  }

  /** One page: a group named by its title, holding up to three of its sections as options. */
  private group(g: PageGroup, gi: number): HTMLLIElement {
    const li = el('li', 'page');
    li.setAttribute('role', 'group');
    li.setAttribute('part', 'page');
    li.setAttribute('aria-label', g.hits[0]!.title);
    const ul = el('ul', 'sections');
    ul.setAttribute('role', 'none');
    g.hits.forEach((h, i) => ul.append(this.item(h, i > 0, `${this.list.id}-${gi}-${i}`)));
    li.append(ul);
    return li;
  }

  private item(h: SiteHit, sub: boolean, id: string): HTMLLIElement {
    const i = this.options.length;
    const li = el('li', sub ? 'hit sub' : 'hit');
    li.id = id;
    li.setAttribute('role', 'option');
    li.setAttribute('part', 'hit');
    const a = el('a', '');
    const href = safeHref(h.url, this.siteRoot);
    if (href) a.href = href;
    // Only the list moves focus: the links are for the pointer.
    a.tabIndex = -1;
    // Under the page's first section the title is shown once; later sections keep it for screen readers only.
    const title = el('span', sub ? 'title vh' : 'title');
    title.textContent = h.title;
    a.append(title);
    if (h.heading && h.heading !== h.title) {
      const sep = el('span', sub ? 'sep vh' : 'sep');
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
    this.hits.push(h);
    this.options.push(li);
    return li;
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (!this.options.length) return;
      e.preventDefault();
      const n = this.options.length;
      // Opening a closed list keeps the option it had; moving wraps around.
      if (!this.panel.hidden) this.active = (this.active + (e.key === 'ArrowDown' ? 1 : -1) + n) % n;
      else if (this.active < 0) this.active = 0;
      this.setOpen(true);
    } else if (e.key === 'Enter') {
      const hit = this.hits[Math.max(0, this.active)];
      if (!hit) return;
      e.preventDefault();
      const href = safeHref(hit.url, this.siteRoot);
      if (href) location.assign(href);
    } else if (e.key === 'Escape') {
      // The first Escape only closes: a search input's native Escape would also clear the query.
      if (this.panel.hidden) this.input.value = '';
      else e.preventDefault();
      this.setOpen(false);
    }
  }

  private highlight(): void {
    const open = !this.panel.hidden;
    this.options.forEach((li, i) => li.setAttribute('aria-selected', String(open && i === this.active)));
    const cur = open ? this.options[this.active] : undefined;
    if (cur) this.input.setAttribute('aria-activedescendant', cur.id);
    else this.input.removeAttribute('aria-activedescendant');
    cur?.scrollIntoView?.({ block: 'nearest' });
  }

  private announce(text: string): void {
    if (this.liveEl.textContent !== text) this.liveEl.textContent = text;
  }

  private setStatus(text: string): void {
    this.statusEl.textContent = text;
    this.statusEl.hidden = !text;
  }

  /** The status line when the search cannot answer at all; the next keystroke tries a fresh one. */
  private unavailable(code: string | undefined, message: string): string {
    return code === 'WORKER_CRASHED' ? this.text.workerCrashed : fill(this.text.unavailable, { message });
  }
}

/** Hits grouped by page (URL without its #anchor), pages in the order of their best hit, three sections each. */
export function groupByPage(hits: readonly SiteHit[]): PageGroup[] {
  const groups = new Map<string, PageGroup>();
  for (const h of hits) {
    const key = h.url.replace(/#.*$/s, '');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, hits: [] }));
    if (g.hits.length < SECTIONS_PER_PAGE) g.hits.push(h);
  }
  return [...groups.values()];
}

function mergeGiven(value: Partial<M3SearchStrings> | null | undefined): Partial<M3SearchStrings> {
  const out: Partial<M3SearchStrings> = {};
  for (const key of Object.keys(DEFAULT_STRINGS) as (keyof M3SearchStrings)[]) {
    const v: unknown = value?.[key];
    if (typeof v === 'string') out[key] = v;
  }
  return out;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  return e;
}

function mb(n: number): string {
  return `${(n / 1048576).toFixed(1)} MB`;
}
