// A model folder on disk, for Node tools and tests.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { M3SearchError, throwIfAborted } from '../core/errors.js';
import type { ModelSource } from '../model/source.js';

export function fsSource(dir: string): ModelSource {
  const root = path.resolve(dir);
  return {
    location: root,
    async read(name, opts = {}) {
      throwIfAborted(opts.signal);
      const file = path.join(root, name);
      const info = await stat(file).catch(() => undefined);
      if (!info) {
        if (name === 'tokenizer.json' && !(await stat(root).catch(() => undefined))) {
          throw new M3SearchError('MODEL_FILES', `The model folder ${root} does not exist (not found).`, { url: root, location: root, reason: 'not-found' });
        }
        return undefined;
      }
      const bytes = new Uint8Array(await readFile(file, { signal: opts.signal }).catch((e: Error) => {
        if (opts.signal?.aborted) throw new M3SearchError('ABORTED', 'Reading the model was cancelled.');
        throw new M3SearchError('MODEL_FILES', `Could not read ${file}: ${e.message}`);
      }));
      opts.onProgress?.({ file: name, loaded: bytes.byteLength, total: bytes.byteLength });
      return bytes;
    },
  };
}
