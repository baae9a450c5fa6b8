// Integrity of a static index as it is read: the manifest's shape and build
// hash, each shard's SHA-256 name prefix, its declared size. Everything that
// fails is INVALID_INDEX naming the file; "offline" is kept for a fetch the
// network never answered. Environment-free (SubtleCrypto: workers, pages and
// Node ≥ 20).
import { M3SearchError } from '../core/errors.js';
import { MIN_MAX_LENGTH, POOLINGS } from '../model/manifest.js';
import type { RangeFile, SiteManifest } from './types.js';

/** What a failed read of one index file was. */
export type IndexFileProblem = 'offline' | 'http' | 'missing' | 'hash' | 'size' | 'decode' | 'version';

/** A shard's name carries the first 10 hex digits of its SHA-256 (write.ts). */
const HASHED = /\.([0-9a-f]{10})\.[a-z]+$/;

/** Arrays already checked (the offline copy and the reader may both ask about one download). */
const verified = new WeakSet<Uint8Array>();

export function hashOfName(name: string): string | undefined {
  return HASHED.exec(name)?.[1];
}

export function invalidFile(file: string, message: string, reason: IndexFileProblem, extra: Record<string, unknown> = {}): M3SearchError {
  return new M3SearchError('INVALID_INDEX', message, { file, reason, ...extra });
}

/** The network could not be reached at all (not an HTTP error, not a bad file): only this reads as offline. */
export function isOfflineError(e: unknown): boolean {
  return e instanceof M3SearchError && e.code === 'INVALID_INDEX' && e.details?.reason === 'offline';
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  // SubtleCrypto exists only in secure contexts: a site served over plain http (not localhost) gets the script version.
  const subtle = globalThis.crypto?.subtle;
  const digest = subtle ? new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)) : sha256(bytes);
  let hex = '';
  for (let i = 0; i < digest.length; i++) hex += digest[i]!.toString(16).padStart(2, '0');
  return hex;
}

/** Throws INVALID_INDEX (reason 'hash') unless `bytes` hash to the prefix in `name`; names without one pass. */
export async function verifyFileHash(name: string, bytes: Uint8Array, label = name): Promise<void> {
  const want = hashOfName(name);
  if (want === undefined || verified.has(bytes)) return;
  const got = (await sha256Hex(bytes)).slice(0, want.length);
  if (got !== want) throw invalidFile(label, `${label} is corrupt: its SHA-256 starts ${got}, its name says ${want}.`, 'hash');
  verified.add(bytes);
}

/** Does the manifest's `build` still hash what it says (build.ts: SHA-256 of the body with bytes.manifest/total at 0)? */
export async function verifyManifestBuild(m: SiteManifest, file: string): Promise<void> {
  const { build, createdAt: _createdAt, ...rest } = m;
  const body = { ...rest, bytes: { ...rest.bytes, manifest: 0, total: 0 } };
  const got = (await sha256Hex(new TextEncoder().encode(JSON.stringify(body)))).slice(0, build.length);
  if (got !== build) throw invalidFile(file, `${file} is corrupt or was edited: its content hashes to ${got}, not its build ${build}.`, 'hash');
}

/** A readable manifest → the same object, typed; anything out of shape → INVALID_INDEX naming the file. */
export function checkManifest(value: unknown, file: string): SiteManifest {
  const bad = (why: string): never => {
    throw invalidFile(file, `${file} is not an m3search site manifest: ${why}.`, 'decode');
  };
  if (!isObject(value)) return bad('not a JSON object');
  const m = value as Partial<SiteManifest>;
  if (m.format !== 'm3search-site') bad('format');
  if (m.version !== 2) {
    throw invalidFile(file, `${file} is an index of format version ${String(m.version)}; this m3search reads version 2: rebuild it with \`m3search index\`.`, 'version');
  }
  if (typeof m.build !== 'string' || !/^[0-9a-f]{16}$/.test(m.build)) bad('build');
  if (typeof m.siteRoot !== 'string') bad('siteRoot');
  const model = m.model;
  if (model !== null) {
    if (!isObject(model) || typeof model.fingerprint !== 'string' || typeof model.id !== 'string') return bad('model');
    if (model.query !== undefined && model.query !== 'idf') bad('model.query');
    if (model.idfFrom !== undefined && (model.query !== 'idf' || !oneOf(model.idfFrom, ['model', 'site']))) bad('model.idfFrom');
    // A doc-only model (query 'idf') ships no dense vectors: its denseDim is 0.
    if (!isCount(model.denseDim) || (model.denseDim === 0) !== (model.query === 'idf') || !isCount(model.multiDim) || !isCount(model.maxLength)) bad('model dimensions');
    if (!oneOf(model.sparseStyle, ['lexical', 'splade', 'none'])) bad('model.sparseStyle');
    if (model.bytes !== undefined && !isCount(model.bytes)) bad('model.bytes');
    const c = model.conventions;
    if (c !== undefined) {
      if (!isObject(c) || !oneOf(c.pooling, POOLINGS) || typeof c.normalize !== 'boolean' || !isCount(c.maxLength) || c.maxLength < MIN_MAX_LENGTH) bad('model.conventions');
      for (const p of [c.queryPrefix, c.passagePrefix]) if (p !== undefined && typeof p !== 'string') bad('model.conventions prefixes');
    }
  }
  const counts = m.counts;
  if (!isObject(counts) || !isCount(counts.passages)) return bad('counts.passages');
  const kw = m.keyword;
  if (!isObject(kw) || !isObject(kw.analyzer) || ![kw.k1, kw.b, kw.titleBoost].every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0)) return bad('keyword parameters');
  const an = kw.analyzer;
  if ((an.language !== null && typeof an.language !== 'string') || !Array.isArray(an.stemmers) || !an.stemmers.every((l) => typeof l === 'string') || !isCount(an.wordGrams)) bad('keyword.analyzer');
  const s = m.shards;
  if (!isObject(s)) return bad('shards');
  const n = counts.passages;
  // Every per-passage list must cover exactly [0, passages): the reader sizes its arrays from the count.
  if (!isObject(s.dense) || s.dense.storage !== 'int8') return bad('shards.dense');
  // A keyword-only index has no vectors: no dense files, no sparse postings, no multi-vectors.
  if (model === null || model.query === 'idf') {
    if (!Array.isArray(s.dense.files) || s.dense.files.length > 0) bad('shards.dense (a keyword-only or doc-only index has none)');
  } else rangeFiles(s.dense.files, n, 'shards.dense.files', bad);
  if (s.dense.bits !== undefined) {
    const b = s.dense.bits;
    if (model === null || model.query === 'idf' || !isObject(b) || !isCount(b.blockRows) || b.blockRows === 0 || !isCount(b.blocks)) return bad('shards.dense.bits');
    if (b.blocks !== Math.ceil(n / b.blockRows)) bad(`shards.dense.bits: ${b.blocks} row blocks, ${n} passages make ${Math.ceil(n / b.blockRows)}`);
    rangeFiles(b.files, n, 'shards.dense.bits.files', bad);
    // Each sign-code file names whole row blocks, and its size is fixed by its passages: nothing is sized from a forged count.
    for (const f of b.files) {
      if (f.first % b.blockRows !== 0) bad(`${f.file}: starts inside a row block`);
      const blocks = Math.ceil((f.first + f.count) / b.blockRows) - f.first / b.blockRows;
      if (f.bytes !== 24 + f.count * ((model.denseDim + 7) >> 3) + pad4(f.count * ((model.denseDim + 7) >> 3)) + blocks * 5 + pad4(blocks * 5)) bad(`${f.file}: declared size does not fit ${f.count} passages of ${model.denseDim} bits`);
    }
  }
  if ((model?.query === 'idf') !== (s.vocab !== undefined)) bad('shards.vocab (a doc-only index has one, no other does)');
  if (s.vocab !== undefined) checkVocab(s.vocab, bad);
  if (!isObject(s.meta)) return bad('shards.meta');
  rangeFiles(s.meta.files, n, 'shards.meta.files', bad);
  const kf = isObject(s.keyword) ? s.keyword.files : undefined;
  if (!Array.isArray(kf) || kf.length === 0) return bad('shards.keyword');
  kf.forEach((f, i) => {
    if (!isObject(f) || !isName(f.file) || typeof f.first !== 'string' || !isCount(f.bytes)) bad('shards.keyword: a malformed entry');
    // Lookups binary-search the first keys: they must ascend, the first being ''.
    if (i === 0 ? f.first !== '' : !(f.first > kf[i - 1]!.first)) bad('shards.keyword: first keys out of order');
  });
  const p = s.postings;
  if (!isObject(p) || !isCount(p.count) || (p.count === 0) !== (model === null) || !Array.isArray(p.files) || !Array.isArray(p.bytes)) return bad('shards.postings');
  if (p.files.length !== p.count || p.bytes.length !== p.count || !p.files.every(isName) || !p.bytes.every(isCount)) bad('shards.postings files');
  const mu = s.multi;
  if (!isObject(mu) || !oneOf(mu.storage, ['int8', 'float16', 'none']) || !isCount(mu.count)) return bad('shards.multi');
  if (mu.layout !== undefined && mu.layout !== 'all' && mu.layout !== 'nested') bad('shards.multi.layout');
  if (mu.maxRows !== undefined && mu.maxRows !== null && (!isCount(mu.maxRows) || mu.maxRows === 0)) bad('shards.multi.maxRows');
  if (mu.table !== null && (!isObject(mu.table) || !isName(mu.table.file) || !isCount(mu.table.bytes))) bad('shards.multi.table');
  if ((mu.storage === 'none') !== (mu.table === null)) bad('shards.multi: storage and table disagree');
  if (mu.storage !== 'none' && (model === null || model.multiDim === 0)) bad('model.multiDim');
  // Dense bytes are fixed by the counts: catches a passage count that does not match the files before anything is allocated.
  if (model !== null) for (const f of s.dense.files) if (f.bytes !== 20 + f.count * (4 + model.denseDim) + pad4(f.count * model.denseDim)) bad(`${f.file}: declared size does not fit ${f.count} rows of ${model.denseDim}`);
  return m as SiteManifest;
}

function checkVocab(v: unknown, bad: (why: string) => never): void {
  if (!isObject(v) || !oneOf(v.model, ['WordPiece', 'Unigram']) || !isObject(v.tokenizer) || !isName(v.tokenizer.file) || !isCount(v.tokenizer.bytes)) return bad('shards.vocab');
  if (!isCount(v.maxPiece) || v.maxPiece === 0 || !isCount(v.vocabSize) || !isCount(v.entries) || !isCount(v.weighted)) bad('shards.vocab counts');
  if (v.model === 'Unigram' && !(typeof v.minScore === 'number' && Number.isFinite(v.minScore))) bad('shards.vocab.minScore');
  if (v.model === 'WordPiece' && (typeof v.continuingPrefix !== 'string' || !isCount(v.maxWordChars))) bad('shards.vocab.continuingPrefix');
  const files = v.files;
  if (!Array.isArray(files) || files.length === 0) return bad('shards.vocab.files');
  files.forEach((f: unknown, i) => {
    if (!isObject(f) || !isName(f.file) || typeof f.first !== 'string' || !isCount(f.bytes)) bad('shards.vocab: a malformed entry');
    // Lookups binary-search the first keys: they must ascend, the first being ''.
    if (i === 0 ? f.first !== '' : !(f.first > (files[i - 1] as { first: string }).first)) bad('shards.vocab: first keys out of order');
  });
}

/** The multi-vector table (its own JSON file) checked against the manifest. */
export function checkMultiTable(value: unknown, m: SiteManifest, file: string): RangeFile[] {
  const bad = (why: string): never => {
    throw invalidFile(file, `${file} is not a valid multi-vector table: ${why}.`, 'decode');
  };
  rangeFiles(value, m.counts.passages, 'the table', bad);
  const files = value as RangeFile[];
  if (files.length !== m.shards.multi.count) bad(`${files.length} files, the manifest says ${m.shards.multi.count}`);
  return files;
}

function rangeFiles(v: unknown, passages: number, what: string, bad: (why: string) => never): void {
  if (!Array.isArray(v)) bad(`${what} is not a list`);
  let next = 0;
  for (const f of v as unknown[]) {
    if (!isObject(f) || !isName(f.file) || !isCount(f.first) || !isCount(f.count) || !isCount(f.bytes) || f.count === 0) bad(`${what}: a malformed entry`);
    const r = f as unknown as RangeFile;
    if (r.first !== next) bad(`${what}: ${r.file} starts at passage ${r.first}, expected ${next}`);
    next += r.count;
  }
  if (next !== passages) bad(`${what} cover ${next} passages, counts.passages is ${passages}`);
}

const oneOf = (v: unknown, allowed: readonly string[]): boolean => typeof v === 'string' && allowed.includes(v);

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** A file path inside the index folder: relative, no parent segments. */
function isName(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && !v.startsWith('/') && !v.split('/').includes('..') && !/^[a-z]+:/i.test(v);
}

const K = Uint32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** SHA-256 in script (FIPS 180-4), for pages without SubtleCrypto. */
export function sha256(data: Uint8Array): Uint8Array {
  const h = Uint32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const padded = new Uint8Array((((data.length + 9 + 63) >> 6) << 6));
  padded.set(data);
  padded[data.length] = 0x80;
  const dv = new DataView(padded.buffer);
  dv.setUint32(padded.length - 8, Math.floor(data.length / 0x20000000), false);
  dv.setUint32(padded.length - 4, (data.length * 8) >>> 0, false);
  const w = new Uint32Array(64);
  const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = dv.getUint32(off + 4 * i, false);
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15]!;
      const b = w[i - 2]!;
      w[i] = (w[i - 16]! + (rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3)) + w[i - 7]! + (rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10))) >>> 0;
    }
    let [a, b, c, d, e, f, g, k] = [h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!, h[6]!, h[7]!];
    for (let i = 0; i < 64; i++) {
      const t1 = (k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      k = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    h[0] = (h[0]! + a) >>> 0;
    h[1] = (h[1]! + b) >>> 0;
    h[2] = (h[2]! + c) >>> 0;
    h[3] = (h[3]! + d) >>> 0;
    h[4] = (h[4]! + e) >>> 0;
    h[5] = (h[5]! + f) >>> 0;
    h[6] = (h[6]! + g) >>> 0;
    h[7] = (h[7]! + k) >>> 0;
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) ov.setUint32(4 * i, h[i]!, false);
  return out;
}
