// Finds a site's pages (built HTML, and Markdown sources when asked) and reads
// each into title + sections. Node only.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { extractHtml, type ExtractedPage } from './html.js';
import { extractMarkdown } from './markdown.js';

export interface CrawlOptions {
  /** Folders (relative to the root) never entered, e.g. the index's own output folder. */
  exclude?: readonly string[];
  /** Also read *.md / *.markdown (linked as the same path with `.html`). */
  markdown?: boolean;
  /** Index only the first N pages in path order (for trials). */
  limit?: number;
  /** Only pages whose `<html lang>` starts with one of these (pages without lang are kept). */
  lang?: readonly string[];
}

export interface CrawledPage extends ExtractedPage {
  /** Site-relative URL, forward slashes. */
  url: string;
  file: string;
}

const HTML = /\.html?$/i;
const MD = /\.(md|markdown)$/i;

/** Page files under `root`, site-relative with forward slashes, sorted so builds are reproducible. */
export async function listPages(root: string, opts: CrawlOptions = {}): Promise<string[]> {
  const exclude = new Set((opts.exclude ?? []).map((e) => e.replace(/\\/g, '/').replace(/\/+$/, '')));
  const out: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(path.join(root, dir), { withFileTypes: true });
    for (const e of entries) {
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!exclude.has(rel) && e.name !== 'node_modules' && !e.name.startsWith('.')) await visit(rel);
      } else if (HTML.test(e.name) || (opts.markdown && MD.test(e.name))) out.push(rel);
    }
  };
  await visit('');
  out.sort();
  return opts.limit !== undefined ? out.slice(0, opts.limit) : out;
}

export async function readPage(root: string, rel: string): Promise<CrawledPage> {
  const source = await readFile(path.join(root, rel), 'utf8');
  if (MD.test(rel)) {
    const url = rel.replace(MD, '.html');
    return { ...extractMarkdown(source, path.basename(rel).replace(MD, '')), url, file: rel };
  }
  return { ...extractHtml(source), url: rel, file: rel };
}
