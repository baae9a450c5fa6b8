// Checks a batch of documents before any encoding starts, so a bad batch
// costs nothing and changes nothing. Per-document rules are the index's own
// (`docProblem`), so nothing the index would refuse gets past this point.
import { docProblem } from '../core/doc.js';
import { M3SearchError } from '../core/errors.js';
import type { Doc } from '../core/types.js';

export function validateDocs(docs: readonly Doc[], exists: (id: string) => boolean, maxChars = Infinity): void {
  if (!Array.isArray(docs)) throw new M3SearchError('INVALID_DOCUMENT', 'Expected an array of documents.');
  const seen = new Set<string>();
  docs.forEach((d, i) => {
    const problem = docProblem(d);
    if (problem !== undefined) {
      const id = d && typeof d.id === 'string' ? d.id : undefined;
      throw new M3SearchError('INVALID_DOCUMENT', `document #${i}: ${problem}.`, id === undefined ? undefined : { id });
    }
    if (d.text.length > maxChars) {
      throw new M3SearchError('INVALID_DOCUMENT', `document #${i} ("${d.id}"): text is ${d.text.length} characters; maxDocumentChars is ${maxChars}.`, {
        id: d.id,
        length: d.text.length,
        limit: maxChars,
      });
    }
    if (seen.has(d.id)) throw new M3SearchError('DUPLICATE_ID', `Id "${d.id}" appears twice in this batch.`, { id: d.id });
    if (exists(d.id)) throw new M3SearchError('DUPLICATE_ID', `Id "${d.id}" is already indexed; use update() to replace it.`, { id: d.id });
    seen.add(d.id);
  });
}
