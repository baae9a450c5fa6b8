// A model folder on disk, for Node tools and tests.
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { M3SearchError, throwIfAborted } from '../core/errors.js';
import type { ModelSource, ReadOptions } from '../model/source.js';

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
  const cancelled = () => new M3SearchError('ABORTED', 'Reading the model was cancelled.');
  const failed = (file: string, e: Error) => new M3SearchError('MODEL_FILES', `Could not read ${file}: ${e.message}`);
  /** Reads `size` bytes of `file` in steps into `target(loaded, n)` (a view to fill), with progress and cancellation. */
  const readSteps = async (file: string, name: string, size: number, into: (loaded: number, n: number) => Uint8Array, after: (view: Uint8Array, loaded: number) => void, opts: ReadOptions) => {
    const handle = await open(file, 'r').catch((e: Error) => {
      throw failed(file, e);
    });
    try {
      let loaded = 0;
      while (loaded < size) {
        if (opts.signal?.aborted) throw cancelled();
        const n = Math.min(chunk, size - loaded);
        const view = into(loaded, n);
        const { bytesRead } = await handle.read(view, 0, n, loaded).catch((e: Error) => {
          throw failed(file, e);
        });
        if (bytesRead === 0) throw failed(file, new Error(`the file ended after ${loaded} of ${size} bytes`));
        after(view.subarray(0, bytesRead), loaded);
        loaded += bytesRead;
        opts.onProgress?.({ file: name, loaded, total: size });
      }
      if (size === 0) opts.onProgress?.({ file: name, loaded: 0, total: 0 });
    } finally {
      await handle.close().catch(() => undefined);
    }
  };
  return {
    location: root,
    async local(name) {
      const file = path.join(root, name);
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) return undefined;
      return {
        path: file,
        size: info.size,
        async scan(visit, opts = {}) {
          throwIfAborted(opts.signal);
          // One step's buffer, reused: the file is never held whole.
          const buffer = new Uint8Array(Math.min(chunk, Math.max(info.size, 1)));
          await readSteps(file, name, info.size, (_, n) => buffer.subarray(0, n), visit, opts);
        },
      };
    },
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
      const bytes = new Uint8Array(info.size);
      await readSteps(file, name, info.size, (loaded, n) => bytes.subarray(loaded, loaded + n), () => undefined, opts);
      return bytes;
    },
  };
}
