// Reads the previous build in the output folder so unchanged passages keep
// their vectors: a passage whose text hash is unchanged (same model, same
// storage kinds) is copied from the old shards instead of re-encoded.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeBitsShard, decodeDenseShard, decodeMultiShard, decodePostingsShard, ROW_HASH_BYTES, rowBlockName, unpackHashes } from './shards.js';
import { type RangeFile, type SiteManifest, type StoredVectors } from './types.js';

export interface PreviousBuild {
  manifest: SiteManifest;
  /** Vectors by passage hash. */
  vectors: Map<string, StoredVectors>;
}

export async function readManifest(outDir: string): Promise<SiteManifest | undefined> {
  const text = await readFile(path.join(outDir, 'manifest.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const m = JSON.parse(text) as SiteManifest;
    // Older formats are not reused: their files go with this build (pages holding them reload the manifest).
    return m.format === 'm3search-site' && m.version === 2 ? m : undefined;
  } catch {
    return undefined;
  }
}

export interface Compatibility {
  fingerprint: string;
  multi: SiteManifest['shards']['multi']['storage'];
  denseDim: number;
}

/** Vectors of the previous build, or undefined when there is none or it is not reusable (model or storage changed). */
export async function readPreviousBuild(outDir: string, want: Compatibility): Promise<PreviousBuild | undefined> {
  const manifest = await readManifest(outDir);
  if (!manifest?.model) return undefined;
  if (manifest.model.fingerprint !== want.fingerprint || manifest.shards.multi.storage !== want.multi || manifest.model.denseDim !== want.denseDim) {
    return undefined;
  }
  const read = async (file: string): Promise<Uint8Array> => new Uint8Array(await readFile(path.join(outDir, file)));
  try {
    const hashes = unpackHashes(await read(manifest.shards.hashes.file));
    const n = hashes.length;
    const dense: StoredVectors['dense'][] = new Array(n);
    for (const f of manifest.shards.dense.files) {
      const s = decodeDenseShard(await read(f.file));
      for (let i = 0; i < s.count; i++) dense[s.first + i] = { q: s.q.slice(i * s.dim, (i + 1) * s.dim), scale: s.scales[i]! };
    }
    const sparseIds: number[][] = Array.from({ length: n }, () => []);
    const sparseW: number[][] = Array.from({ length: n }, () => []);
    for (const f of manifest.shards.postings.files) {
      for (const t of decodePostingsShard(await read(f)).terms.values()) {
        t.passages.forEach((p, i) => {
          sparseIds[p]!.push(t.token);
          sparseW[p]!.push(t.weights[i]!);
        });
      }
    }
    const multi: StoredVectors['multi'][] = new Array(n).fill(null);
    const table = manifest.shards.multi.table;
    const multiFiles = table ? (JSON.parse(new TextDecoder().decode(await read(table.file))) as RangeFile[]) : [];
    for (const f of multiFiles) {
      const s = decodeMultiShard(await read(f.file));
      s.rows.forEach((r, i) => (multi[s.first + i] = r && (r.kind === 'int8' ? { ...r, data: r.data.slice(), scales: r.scales.slice() } : { ...r, data: r.data.slice() })));
    }
    const vectors = new Map<string, StoredVectors>();
    hashes.forEach((h, p) => {
      const order = sparseIds[p]!.map((_, i) => i).sort((a, b) => sparseIds[p]![a]! - sparseIds[p]![b]!);
      vectors.set(h, {
        dense: dense[p] ?? { q: new Int8Array(0), scale: 0 }, // a doc-only build has no dense vectors
        sparse: { ids: Uint32Array.from(order, (i) => sparseIds[p]![i]!), w16: Uint16Array.from(order, (i) => sparseW[p]![i]!) },
        multi: multi[p] ?? null,
      });
    });
    return { manifest, vectors };
  } catch {
    // A damaged previous build is not an error: everything is simply encoded again.
    return undefined;
  }
}

/** Every file of the build `m` describes (manifest.json aside), its multi-vector table read from `outDir`. */
export async function buildFiles(outDir: string, m: SiteManifest): Promise<string[]> {
  const s = m.shards;
  const files = [s.hashes.file, ...s.dense.files.map((f) => f.file), ...s.postings.files, ...s.keyword.files.map((f) => f.file), ...s.meta.files.map((f) => f.file)];
  if (s.vocab) files.push(s.vocab.tokenizer.file, ...s.vocab.files.map((f) => f.file));
  for (const f of s.dense.bits?.files ?? []) {
    files.push(f.file);
    try {
      const b = decodeBitsShard(new Uint8Array(await readFile(path.join(outDir, f.file))));
      const b0 = b.first / b.blockRows;
      for (let i = 0; i < b.hashes.length / ROW_HASH_BYTES; i++) files.push(rowBlockName(b0 + i, b.hashes, i));
    } catch {
      // An unreadable sign-code file: its row blocks are simply not kept.
    }
  }
  if (s.multi.table) {
    files.push(s.multi.table.file);
    const table = await readFile(path.join(outDir, s.multi.table.file), 'utf8').catch(() => '[]');
    try {
      files.push(...(JSON.parse(table) as RangeFile[]).map((f) => f.file));
    } catch {
      // An unreadable table: its shards are simply not kept.
    }
  }
  return files;
}
