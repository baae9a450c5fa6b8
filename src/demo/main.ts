// The demo page: indexes the sample corpus on first visit (later visits
// restore it from IndexedDB and skip unchanged passages), then searches as
// you type. ?model=<url> points at a real BGE-M3 folder; the default is the
// generated tiny test model, whose semantic scores are noise.
import { isM3SearchError, openSearch, type BrowserSearch, type Hit, type LoadProgress, type Mode } from '../browser/index.js';
import { loadCorpus, loadExampleQueries } from './corpus.js';
import { renderHits } from './render.js';

const params = new URLSearchParams(location.search);
const modelUrl = params.get('model') ?? '/models/tiny/';
const usesTestModel = !params.has('model');
const indexName = params.get('index') ?? `demo:${modelUrl}`;
const corpusUrl = params.get('corpus') ?? '/sample-corpus.jsonl';
const queriesUrl = params.get('queries') ?? '/sample-queries.json';
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
};

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

  const report = await search.ready;
  ui.backend.textContent = report.backend + (report.backendNote ? ` (${report.backendNote})` : '');
  ui.model.textContent = `${report.model.modelId} · ${report.model.denseDim}-d`;
  ui.docCount.textContent = String(report.docCount);
  if (usesTestModel) {
    ui.note.hidden = false;
    ui.note.textContent =
      'This is the generated tiny test model: its dense and multi-vector scores are noise, only exact word overlap (sparse) means something. Add ?model=<url of a BGE-M3 ONNX folder> for real semantic search.';
  }
  ui.q.disabled = false;
  wireSearch(search);
  void showExamples();

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
  document.body.dataset.state = 'ready';
  if (ui.q.value.trim()) ui.q.dispatchEvent(new Event('input'));
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

/** Results as you type: debounced, and a newer query cancels the one in flight. */
function wireSearch(search: BrowserSearch): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inflight: AbortController | undefined;
  const mode = (): Mode => (ui.form.querySelector<HTMLInputElement>('input[name=mode]:checked')?.value ?? 'hybrid') as Mode;

  const run = async () => {
    inflight?.abort();
    const query = ui.q.value;
    if (!query.trim()) {
      ui.results.replaceChildren();
      ui.summary.textContent = '';
      return;
    }
    const ctl = new AbortController();
    inflight = ctl;
    const t0 = performance.now();
    let hits: Hit[];
    try {
      hits = await search.search(query, { k: 10, mode: mode(), signal: ctl.signal });
    } catch (e) {
      if (isM3SearchError(e, 'ABORTED')) return; // a newer query replaced this one
      ui.results.replaceChildren();
      ui.summary.textContent = isM3SearchError(e) ? `${e.code}: ${e.message}` : String(e);
      return;
    }
    if (ctl !== inflight) return;
    renderHits(ui.results, hits, query);
    ui.summary.textContent = `${hits.length} results (${mode()}) in ${Math.round(performance.now() - t0)} ms`;
    document.body.dataset.lastQuery = query;
  };
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
  document.body.dataset.state = 'failed';
  setStatus(isM3SearchError(e) ? `${e.code}: ${e.message}` : `Error: ${String(e)}`, true);
  console.error(e);
});
