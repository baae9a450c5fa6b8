// A model folder on disk, for Node tools and tests.
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { M3SearchError, throwIfAborted } from '../core/errors.js';
import type { ModelSource } from '../model/source.js';

export interface FsSourceOptions {
  /**
   * Bytes read per step (default 16 MiB): progress is reported and
   * cancellation checked between steps. Reading in steps is also what lets a
   * file over 2 GiB (BGE-M3's fp32 `model.onnx_data`) load at all: Node's
   * `readFile` refuses those.
   */
  chunkBytes?: number;
}

const DEFAULT_CHUNK = 16 << 20;

export function fsSource(dir: string, options: FsSourceOptions = {}): ModelSource {
  const root = path.resolve(dir);
  const chunk = options.chunkBytes ?? DEFAULT_CHUNK;
  if (!(Number.isInteger(chunk) && chunk > 0)) throw new M3SearchError('INVALID_OPTION', 'chunkBytes must be a positive integer.', { chunkBytes: chunk });
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
      const cancelled = () => new M3SearchError('ABORTED', 'Reading the model was cancelled.');
      const failed = (e: Error) => new M3SearchError('MODEL_FILES', `Could not read ${file}: ${e.message}`);
      const handle = await open(file, 'r').catch((e: Error) => {
        throw failed(e);
      });
      try {
        const bytes = new Uint8Array(info.size);
        let loaded = 0;
        while (loaded < bytes.length) {
          if (opts.signal?.aborted) throw cancelled();
          const { bytesRead } = await handle.read(bytes, loaded, Math.min(chunk, bytes.length - loaded), loaded).catch((e: Error) => {
            throw failed(e);
          });
          if (bytesRead === 0) throw failed(new Error(`the file ended after ${loaded} of ${bytes.length} bytes`));
          loaded += bytesRead;
          opts.onProgress?.({ file: name, loaded, total: bytes.length });
        }
        if (bytes.length === 0) opts.onProgress?.({ file: name, loaded: 0, total: 0 });
        return bytes;
      } finally {
        await handle.close().catch(() => undefined);
      }
    },
  };
}
