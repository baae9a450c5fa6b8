// The demo page: indexes the sample corpus on first visit (later visits
// restore it from IndexedDB and skip unchanged passages), then searches as
// you type. ?model=<url> points at a real BGE-M3 folder; the default is the
// generated tiny test model, whose semantic scores are noise, so with it the
// page ranks by keyword unless asked otherwise (?mode=, or the radio buttons).
import { isM3SearchError, openSearch, type BrowserSearch, type Hit, type LoadProgress, type Mode, type OpenReport } from '../browser/index.js';
import { loadCorpus, loadExampleQueries } from './corpus.js';
import { renderHits } from './render.js';

type DemoMode = Mode;
const MODES: readonly DemoMode[] = ['keyword', 'hybrid', 'dense', 'sparse', 'multi'];
/** Model ids of the generated test models (scripts/test-model): semantic scores are noise. */
const TEST_MODEL_PREFIX = 'm3search/tiny-test-';

const params = new URLSearchParams(location.search);
const modelUrl = params.get('model') ?? '/models/tiny/';
const indexName = params.get('index') ?? `demo:${modelUrl}`;
const corpusUrl = params.get('corpus') ?? '/sample-corpus.jsonl';
const queriesUrl = params.get('queries') ?? '/sample-queries.json';
const modeParam = MODES.find((m) => m === params.get('mode'));
const DEBOUNCE_MS = 150;

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const ui = {
  status: byId<HTMLParagraphElement>('status'),
  progress: byId<HTMLProgressElement>('progress'),
  backend: byId<HTMLElement>('backend'),
  model: byId<HTMLElement>('model'),
  docCount: byId<HTMLElement>('doc-count'),
  note: byId<HTMLParagraphElement>('model-note'),
  q: byId<HTMLInputElement>('q'),
  form: byId<HTMLFormElement>('search-form'),
  summary: byId<HTMLParagraphElement>('summary'),
  results: byId<HTMLOListElement>('results'),
  examples: byId<HTMLParagraphElement>('examples'),
  modeNote: byId<HTMLParagraphElement>('mode-note'),
};

/** Page state: queries typed before the index is ready wait for it. */
const page: { testModel: boolean; ready: boolean; failed: boolean; runQuery?: () => void } = { testModel: false, ready: false, failed: false };

function setState(state: 'loading' | 'indexing' | 'ready' | 'failed', placeholder: string): void {
  document.body.dataset.state = state;
  ui.q.placeholder = placeholder;
  ui.form.setAttribute('aria-busy', String(state === 'loading' || state === 'indexing'));
}

function setStatus(text: string, isError = false): void {
  ui.status.textContent = text;
  ui.status.classList.toggle('error', isError);
}

function showLoad(p: LoadProgress): void {
  if (p.phase === 'model') {
    const mb = (n: number) => (n / 1e6).toFixed(1);
    ui.progress.value = p.total ? p.loaded / p.total : 0;
    setStatus(`Downloading the model: ${mb(p.loaded)}${p.total ? ` / ${mb(p.total)}` : ''} MB (${p.file})`);
  } else {
    ui.progress.value = p.total ? p.loaded / p.total : 1;
    setStatus(`Restoring the stored index: ${p.loaded} / ${p.total}`);
  }
}

async function main(): Promise<void> {
  setState('loading', 'Loading the model… type now: your search runs once the corpus is indexed');
  const search = openSearch({
    model: modelUrl,
    name: indexName,
    backend: params.get('backend') === 'wasm' ? 'wasm' : 'auto',
    // The test model is regenerated when the corpus changes: start over instead of failing.
    onMismatch: 'rebuild',
    onProgress: showLoad,
    onWarning: (w) => console.warn(`m3search: ${w.code}: ${w.message}`),
  });
  (window as unknown as { m3demo: BrowserSearch }).m3demo = search;
  wireSearch(search);
  void showExamples();

  const report = await search.ready;
  ui.backend.textContent = report.backend + (report.backendNote ? ` (${report.backendNote})` : '');
  ui.model.textContent = `${report.model.modelId} · ${report.model.denseDim}-d`;
  ui.docCount.textContent = String(report.docCount);
  page.testModel = report.model.modelId.startsWith(TEST_MODEL_PREFIX);
  if (page.testModel) {
    ui.note.hidden = false;
    ui.note.textContent =
      'This is the generated tiny test model: its dense and multi-vector scores are noise, and its sparse weights only match word pieces. Add ?model=<url of a BGE-M3 ONNX folder> for real semantic search.';
  }
  chooseMode(report);
  setState('indexing', 'Indexing the sample corpus… type now: your search runs when it is ready');

  setStatus('Loading the sample corpus…');
  const docs = await loadCorpus(corpusUrl);
  const added = await search.add(docs, {
    onProgress: (p) => {
      ui.progress.value = p.total ? p.done / p.total : 1;
      ui.docCount.textContent = String(search.info.docCount);
      if (p.total) setStatus(`Indexing: ${p.done} / ${p.total} passages encoded and stored`);
    },
  });
  ui.progress.value = 1;
  ui.docCount.textContent = String(added.docCount);
  setStatus(
    `Ready: ${added.docCount} passages` +
      (added.added + added.updated > 0 ? ` (${added.added} indexed now, ${added.unchanged} restored).` : ', all restored from IndexedDB without encoding.'),
  );
  page.ready = true;
  setState('ready', 'Search the sample corpus (any language)…');
  page.runQuery?.(); // a query typed while indexing
}

/**
 * The default ranking fits the model: with the test model only the words carry
 * meaning, so keyword; with a real model, hybrid. ?mode= and a choice the user
 * already made win.
 */
function chooseMode(report: OpenReport): void {
  const picked = ui.form.querySelector<HTMLInputElement>('input[name=mode]:checked');
  const mode: DemoMode = picked ? (picked.value as DemoMode) : (modeParam ?? (page.testModel ? 'keyword' : 'hybrid'));
  if (!picked) ui.form.querySelector<HTMLInputElement>(`input[name=mode][value=${mode}]`)!.checked = true;
  ui.modeNote.hidden = false;
  ui.modeNote.dataset.defaultMode = mode;
  ui.modeNote.textContent = page.testModel
    ? `Ranking: ${mode}${mode === 'keyword' ? ' by default' : ''}. The test model's dense and multi-vector scores are noise and its sparse weights match word pieces, so the words themselves rank best (keyword: the engine's model-free keyword mode, BM25 over the passages' words). Every mode stays selectable to compare; with a real BGE-M3 model the default is hybrid.`
    : `Ranking: ${mode}${mode === 'hybrid' ? ' by default' : ''}. Hybrid fuses the dense, sparse and multi-vector scores of one encoder pass (BGE-M3's recommended mix); keyword ranks by the words alone (BM25, no model).`;
}

/** One example query per language from the sample queries; clicking one searches it. */
async function showExamples(): Promise<void> {
  const queries = await loadExampleQueries(queriesUrl).catch(() => []);
  const perLang = new Map<string, string>();
  for (const q of queries) if (!perLang.has(q.lang)) perLang.set(q.lang, q.query);
  for (const query of [...perLang.values()].slice(0, 8)) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = query;
    b.addEventListener('click', () => {
      ui.q.value = query;
      ui.q.dispatchEvent(new Event('input'));
    });
    ui.examples.append(b);
  }
  ui.examples.hidden = perLang.size === 0;
}

/** Results as you type: debounced, and a newer query cancels the one in flight; before the index is ready, queued. */
function wireSearch(search: BrowserSearch): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inflight: AbortController | undefined;
  const mode = (): DemoMode => (ui.form.querySelector<HTMLInputElement>('input[name=mode]:checked')?.value ?? 'hybrid') as DemoMode;
  const show = (summary: string, hits: readonly Hit[], query: string, caveat?: string) => {
    renderHits(ui.results, hits, query);
    ui.summary.textContent = summary;
    ui.summary.classList.toggle('empty', hits.length === 0);
    if (caveat) ui.summary.append(Object.assign(document.createElement('span'), { className: 'caveat', textContent: caveat }));
  };

  const run = async () => {
    inflight?.abort();
    const query = ui.q.value;
    if (!query.trim()) {
      show('', [], query);
      delete document.body.dataset.queued;
      return;
    }
    if (!page.ready) {
      // Nothing to search yet (INDEX_EMPTY) or only part of the corpus: hold the query until main() calls back.
      show(page.failed ? '' : `Indexing… “${query.trim()}” will run as soon as the index is ready.`, [], query);
      if (!page.failed) document.body.dataset.queued = query;
      return;
    }
    delete document.body.dataset.queued;
    const m = mode();
    const ctl = new AbortController();
    inflight = ctl;
    const t0 = performance.now();
    let hits: Hit[];
    try {
      hits = await search.search(query, { k: 10, mode: m, signal: ctl.signal });
    } catch (e) {
      if (isM3SearchError(e, 'ABORTED')) return; // a newer query replaced this one
      show(isM3SearchError(e) ? `${e.code}: ${e.message}` : String(e), [], query);
      return;
    }
    if (ctl !== inflight) return;
    if (hits.length === 0) show(`No results for “${query.trim()}” (${m}): no passage contains any of its words.`, [], query);
    else {
      // Dense and multi-vector ranking always return k passages; say when none shares a word with the query.
      const wordless = m !== 'keyword' && (await search.search(query, { k: 1, mode: 'keyword' })).length === 0;
      if (ctl !== inflight) return;
      const caveat = wordless
        ? `No passage contains a word of “${query.trim()}”: these are only the nearest by ${m}${page.testModel ? ', which with the test model is noise' : ''}.`
        : undefined;
      show(`${hits.length} results (${m}) in ${Math.round(performance.now() - t0)} ms`, hits, query, caveat);
    }
    document.body.dataset.lastQuery = query;
    document.body.dataset.lastMode = m;
  };
  page.runQuery = () => void run();
  const later = () => {
    clearTimeout(timer);
    inflight?.abort();
    timer = setTimeout(() => void run(), DEBOUNCE_MS);
  };
  ui.q.addEventListener('input', later);
  ui.form.addEventListener('change', (e) => (e.target as HTMLElement).matches('input[name=mode]') && void run());
  ui.form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearTimeout(timer);
    void run();
  });
}

main().catch((e: unknown) => {
  page.failed = true;
  setState('failed', 'Search is unavailable (see above)');
  ui.q.disabled = true;
  ui.summary.textContent = '';
  delete document.body.dataset.queued;
  setStatus(isM3SearchError(e) ? `${e.code}: ${e.message}` : `Error: ${String(e)}`, true);
  console.error(e);
});
