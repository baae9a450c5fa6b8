// Finds a site's pages (built HTML, and Markdown sources when asked) and reads
// each into title + sections. Node only.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeHtml } from './decode.js';
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
  /** Index sections that are lists of links too (tables of contents, generated indexes: see `isLinkList`). Default false. */
  linkLists?: boolean;
}

export interface CrawledPage extends ExtractedPage {
  /** Site-relative URL, forward slashes. */
  url: string;
  file: string;
  /** The encoding the file was read in (`utf-8`, `windows-1252`, `shift_jis`, `utf-16le`…). */
  encoding: string;
  /** Something the reader had to guess or work around, worth a warning naming the file. */
  warning?: string;
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

/** Reads one page in its declared encoding. Throws on a file that cannot be read (the build skips it with a warning). */
export async function readPage(root: string, rel: string): Promise<CrawledPage> {
  const bytes = await readFile(path.join(root, rel));
  if (MD.test(rel)) {
    const url = rel.replace(MD, '.html');
    const source = new TextDecoder('utf-8').decode(bytes);
    return { ...extractMarkdown(source, path.basename(rel).replace(MD, '')), url, file: rel, encoding: 'utf-8' };
  }
  const decoded = decodeHtml(bytes);
  const warning = decoded.unknownLabel ? `declares the unknown charset "${decoded.unknownLabel}"; read as UTF-8` : undefined;
  // An empty (or whitespace-only) file is a page with nothing to index, not an error.
  if (decoded.text.trim() === '') return { title: '', sections: [], skipped: true, url: rel, file: rel, encoding: decoded.encoding, warning: 'is empty' };
  return { ...extractHtml(decoded.text), url: rel, file: rel, encoding: decoded.encoding, warning };
}
