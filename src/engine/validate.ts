// Checks a batch of documents before any encoding starts, so a bad batch
// costs nothing and changes nothing.
import { M3SearchError } from '../core/errors.js';
import type { Doc } from '../core/types.js';

export function validateDocs(docs: readonly Doc[], exists: (id: string) => boolean): void {
  if (!Array.isArray(docs)) throw new M3SearchError('INVALID_DOCUMENT', 'Expected an array of documents.');
  const seen = new Set<string>();
  docs.forEach((d, i) => {
    const where = `document #${i}${d && typeof d.id === 'string' ? ` (id "${d.id}")` : ''}`;
    if (!d || typeof d !== 'object') throw new M3SearchError('INVALID_DOCUMENT', `${where} is not an object.`);
    if (typeof d.id !== 'string' || d.id === '') throw new M3SearchError('INVALID_DOCUMENT', `${where} needs a non-empty string id.`);
    if (typeof d.text !== 'string') throw new M3SearchError('INVALID_DOCUMENT', `${where}: text must be a string, got ${typeof d.text}.`, { id: d.id });
    if (d.text.trim() === '') throw new M3SearchError('INVALID_DOCUMENT', `${where}: text is empty or whitespace only.`, { id: d.id });
    if (seen.has(d.id)) throw new M3SearchError('DUPLICATE_ID', `Id "${d.id}" appears twice in this batch.`, { id: d.id });
    if (exists(d.id)) throw new M3SearchError('DUPLICATE_ID', `Id "${d.id}" is already indexed; use update() to replace it.`, { id: d.id });
    seen.add(d.id);
  });
}
