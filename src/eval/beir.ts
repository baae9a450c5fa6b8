// Loads a BEIR-layout collection (corpus.jsonl, queries.jsonl, qrels/<split>.tsv)
// for the evaluation tools. Node only. Queries and qrels may come from one
// folder and the corpus from another (cross-lingual: same ids, other language).
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { M3SearchError } from '../core/errors.js';
import type { Doc } from '../core/types.js';
import type { Judgments, Qrels } from './metrics.js';

export interface Query {
  id: string;
  text: string;
}

/** Script family, which is all the defaults (tokenizer choice) need to know. */
export type Language = 'zh' | 'ja' | 'ko' | 'other';

export interface BeirDataset {
  /** Display name, e.g. "scifact" or "xquad/en → xquad/zh". */
  name: string;
  split: string;
  corpus: Doc[];
  /** Only queries with at least one relevant judgment, in file order. */
  queries: Query[];
  qrels: Qrels;
  queryLanguage: Language;
  corpusLanguage: Language;
  /** Corpus size before any subsampling. */
  fullCorpusSize: number;
}

export interface LoadOptions {
  /** Folder with queries.jsonl and qrels/ (and corpus.jsonl unless `corpusData` is given). */
  data: string;
  /** Folder whose corpus.jsonl replaces `data`'s. */
  corpusData?: string;
  /** qrels split; optional when the folder has exactly one. */
  split?: string;
  /** Keep only the first N judged queries. */
  limit?: number;
  /**
   * Subsample the corpus to at most this many documents: every document judged
   * for a kept query stays, then distractors fill up to the cap in a fixed
   * pseudo-random order (so runs are repeatable and not biased to file order).
   */
  corpusCap?: number;
}

export async function loadBeir(opts: LoadOptions): Promise<BeirDataset> {
  const corpusDir = opts.corpusData ?? opts.data;
  const split = opts.split ?? (await onlySplit(opts.data));
  const [allDocs, allQueries, allQrels] = await Promise.all([
    readCorpus(join(corpusDir, 'corpus.jsonl')),
    readQueries(join(opts.data, 'queries.jsonl')),
    readQrels(join(opts.data, 'qrels', `${split}.tsv`)),
  ]);

  let queries = allQueries.filter((q) => hasRelevant(allQrels.get(q.id)));
  if (opts.limit !== undefined) queries = queries.slice(0, opts.limit);
  const qrels = new Map<string, Judgments>();
  for (const q of queries) qrels.set(q.id, allQrels.get(q.id)!);

  const corpus = opts.corpusCap !== undefined ? subsample(allDocs, qrels, opts.corpusCap) : allDocs;
  const name = opts.corpusData ? `${displayName(opts.data)} → ${displayName(corpusDir)}` : displayName(opts.data);
  return {
    name,
    split,
    corpus,
    queries,
    qrels,
    queryLanguage: detectLanguage(queries.slice(0, 200).map((q) => q.text)),
    corpusLanguage: detectLanguage(corpus.slice(0, 200).map((d) => `${d.title ?? ''} ${d.text}`)),
    fullCorpusSize: allDocs.length,
  };
}

/**
 * Guesses the script family from character counts: any kana → ja, Hangul → ko,
 * Han ideographs as ≥ 20 % of letters → zh. Enough to pick a default tokenizer.
 */
export function detectLanguage(texts: readonly string[]): Language {
  let letters = 0;
  let han = 0;
  let kana = 0;
  let hangul = 0;
  for (const text of texts) {
    for (const ch of text) {
      if (!/\p{L}/u.test(ch)) continue;
      letters++;
      if (/\p{Script=Han}/u.test(ch)) han++;
      else if (/[\p{Script=Hiragana}\p{Script=Katakana}]/u.test(ch)) kana++;
      else if (/\p{Script=Hangul}/u.test(ch)) hangul++;
    }
  }
  if (letters === 0) return 'other';
  if (kana / letters >= 0.05) return 'ja';
  if (hangul / letters >= 0.2) return 'ko';
  if ((han + kana) / letters >= 0.2) return 'zh';
  return 'other';
}

async function onlySplit(dir: string): Promise<string> {
  let files: string[];
  try {
    files = (await readdir(join(dir, 'qrels'))).filter((f) => f.endsWith('.tsv'));
  } catch {
    throw new M3SearchError('INVALID_OPTION', `No qrels/ folder in ${dir}: is it a BEIR collection?`);
  }
  if (files.length === 1) return files[0]!.slice(0, -4);
  const splits = files.map((f) => f.slice(0, -4)).join(', ');
  throw new M3SearchError('INVALID_OPTION', `${dir} has ${files.length} qrels splits (${splits || 'none'}); pick one with --split.`);
}

async function readJsonl(path: string): Promise<Record<string, unknown>[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new M3SearchError('INVALID_OPTION', `Cannot read ${path}.`);
  }
  const rows: Record<string, unknown>[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      rows.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      throw new M3SearchError('INVALID_OPTION', `${path}:${i + 1} is not valid JSON.`);
    }
  });
  return rows;
}

async function readCorpus(path: string): Promise<Doc[]> {
  return (await readJsonl(path)).map((r) => {
    const title = typeof r.title === 'string' && r.title.trim() !== '' ? r.title : undefined;
    return { id: String(r._id), text: typeof r.text === 'string' ? r.text : '', ...(title ? { title } : {}) };
  });
}

async function readQueries(path: string): Promise<Query[]> {
  return (await readJsonl(path)).map((r) => ({ id: String(r._id), text: typeof r.text === 'string' ? r.text : '' }));
}

/** query-id \t corpus-id \t score, with a header line. */
async function readQrels(path: string): Promise<Map<string, Map<string, number>>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new M3SearchError('INVALID_OPTION', `Cannot read ${path}.`);
  }
  const qrels = new Map<string, Map<string, number>>();
  for (const line of text.split('\n')) {
    const [qid, did, score] = line.trim().split('\t');
    if (!qid || !did || score === undefined || qid === 'query-id') continue;
    const grade = Number(score);
    if (!Number.isFinite(grade)) continue;
    let judged = qrels.get(qid);
    if (!judged) qrels.set(qid, (judged = new Map()));
    judged.set(did, grade);
  }
  return qrels;
}

function hasRelevant(judged: Judgments | undefined): boolean {
  if (!judged) return false;
  for (const g of judged.values()) if (g > 0) return true;
  return false;
}

function subsample(docs: Doc[], qrels: Qrels, cap: number): Doc[] {
  const judged = new Set<string>();
  for (const j of qrels.values()) for (const id of j.keys()) judged.add(id);
  const keep = new Set<string>();
  for (const d of docs) if (judged.has(d.id)) keep.add(d.id);
  const distractors = docs.filter((d) => !keep.has(d.id)).sort((a, b) => hash(a.id) - hash(b.id) || (a.id < b.id ? -1 : 1));
  for (const d of distractors) {
    if (keep.size >= cap) break;
    keep.add(d.id);
  }
  // Original file order, so document order effects match the full corpus.
  return docs.filter((d) => keep.has(d.id));
}

/** FNV-1a: a stable pseudo-random order for distractors. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** "scifact", or "xquad/en" when the folder sits inside a collection family. */
function displayName(dir: string): string {
  const base = basename(dir.replace(/[\\/]+$/, ''));
  const parent = basename(dirname(dir.replace(/[\\/]+$/, '')));
  return parent === 'data' || parent === '.' || parent === '' ? base : `${parent}/${base}`;
}
