// Encoded passages kept between builds, outside the output folder: a rebuild
// encodes only passages whose text (or model) changed — also into an emptied
// output folder (generators that clean their output each build) or with
// --fresh. One file per passage, named by the SHA-256 of the text the encoder
// reads, under a folder per model (fingerprint, dims, length limit); each file
// repeats its key and ends with a SHA-256 of its bytes, so a damaged, truncated
// or misplaced file is a miss (re-encoded, with a warning), never a wrong vector.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ByteReader, ByteWriter } from '../core/bytes.js';
import { M3SearchError } from '../core/errors.js';
import type { MultiStorageKind, StoredMulti, StoredVectors } from './types.js';
import { adaptMulti, type MultiPlan } from './vectors.js';

/** The cache folder's name when none is given: beside the site folder, never inside what is deployed. */
export const DEFAULT_CACHE_DIR = '.m3search-cache';

/** Entries neither used by a build nor written in this many days are deleted by that build. */
export const CACHE_KEEP_DAYS = 30;

const MAGIC = 0x4353334d; // "M3SC"
const VERSION = 1;
const SHA = 32;

/** What makes two encodings of one text the same: the model's files and conventions, and the shapes it outputs. */
export interface CacheModel {
  fingerprint: string;
  maxLength: number;
  denseDim: number;
  multiDim: number;
  sparseStyle: string;
}

interface EntryHeader {
  model: string;
  text: string;
  fingerprint: string;
  storage: MultiStorageKind | 'none';
  layout: MultiPlan['layout'];
  maxRows: number | null;
}

/**
 * The cache folder: `dir`, or `.m3search-cache` beside the site folder.
 * Refused (INVALID_OPTION) inside the site or index folder, where it would be deployed.
 */
export function resolveCacheDir(site: string, out: string, dir?: string): string {
  const root = path.resolve(dir ?? path.join(path.dirname(path.resolve(site)), DEFAULT_CACHE_DIR));
  for (const [what, parent] of [['index folder', path.resolve(out)], ['site folder', path.resolve(site)]] as const) {
    const rel = path.relative(parent, root);
    if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) {
      const hint = dir === undefined ? 'the site folder has no parent to hold it: give --cache-dir DIR (or --no-cache)' : 'give a --cache-dir outside it (or --no-cache)';
      throw new M3SearchError('INVALID_OPTION', `The encode cache ${root} would be inside the ${what} ${parent}, and deployed with it: ${hint}.`, { cacheDir: root, folder: parent });
    }
  }
  return root;
}

/** The cache's folder for one model (the chunk cache lives there too). */
export function modelFolder(root: string, model: CacheModel): string {
  return path.join(root, createHash('sha256').update(JSON.stringify(['m3search-encode-cache', VERSION, model.fingerprint, model.maxLength, model.denseDim, model.multiDim, model.sparseStyle])).digest('hex').slice(0, 16));
}

export interface CacheWarning {
  file: string;
  message: string;
}

/** The SHA-256 (hex) of the text the encoder reads: the cache key of a passage. */
export function textKey(encodeText: string): string {
  return createHash('sha256').update(encodeText).digest('hex');
}

export class EncodeCache {
  /** Entries read back (hits) and written by this build. */
  hits = 0;
  writes = 0;
  /** Unreadable entries (ignored and re-encoded) and failed writes, one line each. */
  readonly warnings: CacheWarning[] = [];
  private writable = true;
  private readonly used = new Set<string>();

  private constructor(
    /** This model's folder inside the cache. */
    readonly dir: string,
    private readonly modelKey: string,
    private readonly model: CacheModel,
    private readonly plan: MultiPlan,
    private readonly present: Set<string>,
  ) {}

  /** Opens (creating when missing) the cache under `root` for one model and storage plan; a cache that cannot be created is read-only and empty, with a warning. */
  static async open(root: string, model: CacheModel, plan: MultiPlan): Promise<EncodeCache> {
    const dir = modelFolder(root, model);
    const modelKey = path.basename(dir);
    const present = new Set<string>();
    for (const name of await readdir(dir, { recursive: true }).catch(() => [] as string[])) {
      const m = /([0-9a-f]{64})\.bin$/.exec(String(name));
      if (m) present.add(m[1]!);
    }
    const cache = new EncodeCache(dir, modelKey, model, plan, present);
    try {
      await mkdir(dir, { recursive: true });
      // Tools that honour these leave the folder alone (backups, git).
      await writeFile(path.join(root, 'CACHEDIR.TAG'), 'Signature: 8a477f597d28d172789f06886806bc55\n# m3search encode cache: passages encoded by earlier builds (safe to delete).\n', { flag: 'wx' }).catch(() => undefined);
      await writeFile(path.join(root, '.gitignore'), '*\n', { flag: 'wx' }).catch(() => undefined);
    } catch (e) {
      cache.fail(root, e);
    }
    return cache;
  }

  private file(key: string): string {
    return path.join(this.dir, key.slice(0, 2), `${key}.bin`);
  }

  /** Marks passages of this build as in use (whatever gave their vectors): `prune` keeps their entries. */
  use(keys: Iterable<string>): void {
    for (const k of keys) this.used.add(k);
  }

  /** Whether an entry for this text exists (it may still be unusable for this plan). */
  has(key: string): boolean {
    return this.present.has(key);
  }

  /**
   * The stored vectors of a passage, brought to this build's multi-vector plan,
   * or undefined: no entry, another precision, a layout only the encoder can
   * produce, or a damaged entry (recorded in `warnings`).
   */
  async get(key: string): Promise<StoredVectors | undefined> {
    this.used.add(key);
    if (!this.present.has(key)) return undefined;
    const file = this.file(key);
    let entry: { header: EntryHeader; vectors: StoredVectors };
    try {
      entry = decodeEntry(await readFile(file), this.model);
    } catch (e) {
      this.warnings.push({ file, message: `unreadable encode cache entry, ignored (the passage is encoded again): ${(e as Error).message}` });
      this.present.delete(key);
      return undefined;
    }
    const h = entry.header;
    if (h.model !== this.modelKey || h.text !== key || h.fingerprint !== this.model.fingerprint) {
      this.warnings.push({ file, message: 'encode cache entry for another passage or model, ignored (the passage is encoded again)' });
      this.present.delete(key);
      return undefined;
    }
    const v = entry.vectors;
    if (this.plan.storage !== 'none' && h.storage !== this.plan.storage) return undefined;
    const multi = adaptMulti(v.multi, { layout: h.layout, maxRows: h.maxRows }, this.plan, this.model.multiDim);
    if (multi === undefined) return undefined;
    this.hits++;
    return { ...v, multi };
  }

  /** Stores a passage's vectors (as stored with this build's plan); a failed write turns writing off with one warning. */
  async put(key: string, v: StoredVectors): Promise<void> {
    this.used.add(key);
    if (!this.writable) return;
    const file = this.file(key);
    const header: EntryHeader = {
      model: this.modelKey,
      text: key,
      fingerprint: this.model.fingerprint,
      // The plan's precision, not the passage's: an entry without rows (no tokens) still says what it was stored for.
      storage: this.plan.storage,
      layout: this.plan.layout,
      maxRows: this.plan.layout === 'nested' ? this.plan.maxRows : null,
    };
    try {
      await mkdir(path.dirname(file), { recursive: true });
      // Written whole under a temporary name, then renamed: a reader never sees half a file.
      const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      await writeFile(tmp, encodeEntry(header, v));
      await rename(tmp, file);
      this.present.add(key);
      this.writes++;
    } catch (e) {
      this.fail(file, e);
    }
  }

  private fail(file: string, e: unknown): void {
    this.writable = false;
    this.warnings.push({ file, message: `the encode cache cannot be written (${(e as Error)?.message ?? String(e)}); this build keeps nothing for the next` });
  }

  /**
   * Deletes this model's entries the build did not use and that are older
   * than `CACHE_KEEP_DAYS` (kept that long for another site or branch sharing
   * the cache). Returns how many went.
   */
  async prune(now = Date.now()): Promise<number> {
    if (!this.writable) return 0;
    let removed = 0;
    for (const key of this.present) {
      if (this.used.has(key)) continue;
      const file = this.file(key);
      const age = await stat(file).then((s) => now - s.mtimeMs, () => 0);
      if (age > CACHE_KEEP_DAYS * 86_400_000) {
        await rm(file, { force: true });
        removed++;
      }
    }
    return removed;
  }
}

function encodeEntry(header: EntryHeader, v: StoredVectors): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const w = new ByteWriter().u32(MAGIC).u32(VERSION).u32(json.length).bytes(json).align();
  w.f32(v.dense.scale).u32(v.dense.q.length).bytes(v.dense.q).align();
  w.u32(v.sparse.ids.length).bytes(v.sparse.ids).bytes(v.sparse.w16).align();
  const m = v.multi;
  if (!m) w.u32(0);
  else if (m.kind === 'float16') w.u32(1).u32(m.count).u32(m.data.length).bytes(m.data).align();
  else w.u32(2).u32(m.count).u32(m.data.length).bytes(m.scales).bytes(m.data).align();
  const body = w.finish();
  const out = new Uint8Array(body.length + SHA);
  out.set(body);
  out.set(createHash('sha256').update(body).digest(), body.length);
  return out;
}

/** Parses an entry, checking its checksum, version and every length against the model's shapes; throws on anything else. */
function decodeEntry(bytes: Uint8Array, model: CacheModel): { header: EntryHeader; vectors: StoredVectors } {
  if (bytes.length < SHA + 12) throw new Error(`truncated (${bytes.length} bytes)`);
  const body = bytes.subarray(0, bytes.length - SHA);
  const sum = createHash('sha256').update(body).digest();
  if (!sum.equals(bytes.subarray(bytes.length - SHA))) throw new Error('checksum mismatch');
  const r = new ByteReader(body, (m) => new Error(`truncated: ${m}`));
  if (r.u32() !== MAGIC) throw new Error('not an m3search encode cache entry');
  const version = r.u32();
  if (version !== VERSION) throw new Error(`version ${version}, expected ${VERSION}`);
  const header = JSON.parse(new TextDecoder().decode(r.take(r.u32()))) as EntryHeader;
  r.align();
  const scale = r.f32();
  const dim = r.u32();
  if (dim !== model.denseDim) throw new Error(`dense dimension ${dim}, expected ${model.denseDim}`);
  const q = r.int8(dim).slice();
  r.align();
  const n = r.u32();
  const ids = r.uint32(n).slice();
  const w16 = r.uint16(n).slice();
  r.align();
  let multi: StoredMulti | null = null;
  const kind = r.u32();
  if (kind !== 0) {
    const count = r.u32();
    const len = r.u32();
    if (len !== count * model.multiDim) throw new Error(`multi-vector length ${len}, expected ${count} × ${model.multiDim}`);
    if (kind === 1) multi = { kind: 'float16', count, data: r.uint16(len).slice() };
    else if (kind === 2) {
      const scales = r.float32(count).slice();
      multi = { kind: 'int8', count, data: r.int8(len).slice(), scales };
    } else throw new Error(`unknown multi-vector kind ${kind}`);
    r.align();
  }
  if (!r.done) throw new Error(`${body.length - r.pos} bytes left over`);
  return { header, vectors: { dense: { q, scale }, sparse: { ids, w16 }, multi } };
}
