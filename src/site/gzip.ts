// Inflating the gzip-compressed shards (keyword, metadata) with the platform's
// DecompressionStream: no inflate code ships with the page. Environment-free
// (workers, pages and Node ≥ 18 all have it).

import { concatBytes } from '../core/bytes.js';

/** More than this from one shard is not a shard this builder wrote (a few hundred KiB at most). */
const MAX_INFLATED = 64 << 20;

export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > MAX_INFLATED) {
      await reader.cancel();
      throw new RangeError(`inflates to more than ${MAX_INFLATED} bytes`);
    }
    chunks.push(value);
  }
  return concatBytes(chunks, total);
}
