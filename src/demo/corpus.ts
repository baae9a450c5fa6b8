// Loads the sample corpus (one JSON object per line, {id, title, text, lang,
// url}) and the example queries ([{query, relevant, lang}]).
import type { Doc } from '../browser/index.js';

export async function loadCorpus(url: string): Promise<Doc[]> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`Could not load ${url}: HTTP ${res.status}`);
  return parseJsonl(await res.text());
}

export function parseJsonl(text: string): Doc[] {
  const docs: Doc[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const row = JSON.parse(line) as Record<string, unknown>;
    const { id, title, text: body, url, ...meta } = row;
    if (typeof body !== 'string' || !body.trim()) return;
    const doc: Doc = { id: String(id ?? i), text: body };
    if (typeof title === 'string') doc.title = title;
    if (typeof url === 'string') doc.url = url;
    if (Object.keys(meta).length > 0) doc.meta = meta;
    docs.push(doc);
  });
  return docs;
}

export interface ExampleQuery {
  query: string;
  lang: string;
  relevant: string[];
}

export async function loadExampleQueries(url: string): Promise<ExampleQuery[]> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`Could not load ${url}: HTTP ${res.status}`);
  const rows = (await res.json()) as unknown;
  if (!Array.isArray(rows)) return [];
  return rows.filter((r): r is ExampleQuery => typeof r === 'object' && r !== null && typeof (r as ExampleQuery).query === 'string' && typeof (r as ExampleQuery).lang === 'string');
}
