// Sorted keys stored front-coded: each key as the length of the prefix it
// shares with the key before it, then the rest in UTF-8. Keyword shards and
// doc-only vocabulary shards both hold long sorted runs of similar keys.
import type { ByteReader, ByteWriter } from '../core/bytes.js';

const utf8Out = new TextEncoder();
const utf8In = new TextDecoder('utf-8', { fatal: true });

/** Writes `key` after `prev`; the shared part never ends inside a surrogate pair (the suffix must be valid UTF-16 alone). */
export function writeFrontCoded(w: ByteWriter, prev: string, key: string): void {
  let shared = 0;
  const max = Math.min(prev.length, key.length);
  while (shared < max && prev.charCodeAt(shared) === key.charCodeAt(shared)) shared++;
  if (shared > 0 && shared < key.length && isHighSurrogate(key.charCodeAt(shared - 1))) shared--;
  const suffix = utf8Out.encode(key.slice(shared));
  w.varint(shared).varint(suffix.length).bytes(suffix);
}

/** Reads entry `i`'s key after `prev`, refusing a shared length past `prev` and keys out of ascending order. */
export function readFrontCoded(r: ByteReader, prev: string, i: number, what: string): string {
  const shared = r.varint();
  if (shared > prev.length) throw new RangeError(`entry ${i} shares ${shared} characters with a ${prev.length}-character ${what}`);
  const key = prev.slice(0, shared) + utf8In.decode(r.take(r.varint()));
  if (i > 0 && !(key > prev)) throw new RangeError(`entry ${i} is out of order`);
  return key;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
