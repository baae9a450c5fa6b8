// A JSONL corpus: one {"id" or "_id", "text", "title"?, "url"?, …meta} per line.
// Read by `search` (indexed in memory) and `index --docs` (a static index).
import { readFile } from 'node:fs/promises';
import { M3SearchError } from '../core/errors.js';
import type { Doc } from '../core/types.js';

export async function readJsonl(file: string): Promise<Doc[]> {
  const text = await readFile(file, 'utf8').catch((e: Error) => {
    throw new M3SearchError('INVALID_OPTION', `--docs ${file} cannot be read: ${e.message}`, { option: 'docs', path: file });
  });
  return parseJsonl(text, file);
}

function parseJsonl(text: string, file: string): Doc[] {
  const docs: Doc[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      throw new M3SearchError('INVALID_DOCUMENT', `${file}:${i + 1} is not JSON: ${(e as Error).message}`, { path: file, line: i + 1 });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new M3SearchError('INVALID_DOCUMENT', `${file}:${i + 1} is not a JSON object ({"id", "text", …}).`, { path: file, line: i + 1 });
    }
    const o = parsed as Record<string, unknown>;
    const id = String(o._id ?? o.id ?? docs.length);
    const { title, text: body, url, id: _id, _id: _bid, ...meta } = o;
    docs.push({ id, text: String(body ?? ''), title: typeof title === 'string' ? title : undefined, url: typeof url === 'string' ? url : undefined, meta });
  }
  return docs;
}
