// Three one-section pages with hand-written vectors, and the query "kiwi".
// Signals are worked out with plain loops over these numbers (no code from src/).
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Encoded } from '../../src/core/types.js';
import type { Encoder } from '../../src/core/encoder.js';
import { buildSiteIndex } from '../../src/site/build.js';
import { openIndexDir } from '../../src/site/node-reader.js';
import type { SiteIndexReader } from '../../src/site/query.js';
import { fakeEncoder } from './fake-encoder.js';

export interface W {
  dense: number;
  sparse: number;
  multi: number;
}
export interface Signals {
  dense: number;
  sparse: number;
  multi: number;
}
interface Vectors {
  dense: number[];
  sparse: [number, number][];
  multi: number[][];
}

const passages: { file: string; title: string; text: string; vectors: Vectors }[] = [
  {
    file: 'kiwi.html',
    title: 'Kiwi',
    text: 'kiwi kiwi fruit',
    vectors: { dense: [0.2, 0.979795897, 0, 0], sparse: [[101, 0.9]], multi: [[0, 1, 0, 0], [0.6, 0.8, 0, 0]] },
  },
  {
    file: 'mango.html',
    title: 'Mango',
    text: 'mango fruit grows in warm countries',
    vectors: { dense: [0.9, 0, 0.435889894, 0], sparse: [[303, 0.7]], multi: [[0.4, 0, 0.916515139, 0], [0, 0.4, 0.916515139, 0]] },
  },
  {
    file: 'orchard.html',
    title: 'Orchard',
    text: 'an orchard with apple pear plum and one kiwi tree among many others',
    vectors: { dense: [0.6, 0, 0, 0.8], sparse: [[101, 0.3], [202, 0.4]], multi: [[0.6, 0.8, 0, 0], [0.6, 0, 0.8, 0]] },
  },
];

const query: Vectors = { dense: [1, 0, 0, 0], sparse: [[101, 1], [202, 0.5]], multi: [[1, 0, 0, 0], [0, 1, 0, 0]] };

function dot(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function signals(v: Vectors): Signals {
  let sparse = 0;
  for (const [qi, qw] of query.sparse) for (const [pi, pw] of v.sparse) if (qi === pi) sparse += qw * pw;
  let multi = 0;
  for (const qr of query.multi) {
    let best = -Infinity;
    for (const pr of v.multi) best = Math.max(best, dot(qr, pr));
    multi += best;
  }
  return { dense: dot(query.dense, v.dense), sparse, multi: multi / query.multi.length };
}

export const FIXTURE = { passages, query, expectedSignals: passages.map((p) => signals(p.vectors)) };

export function passageFor(text: string): (typeof passages)[number] {
  const found = passages.find((p) => text.includes(p.text));
  if (!found) throw new Error(`no fixture passage in ${JSON.stringify(text)}`);
  return found;
}

/** Weights as given: w.dense·dense + w.sparse·sparse + w.multi·multi. */
export function hybridScore(s: Signals, w: W): number {
  return w.dense * s.dense + w.sparse * s.sparse + w.multi * s.multi;
}

/** An encoder that returns the fixture's hand-written vectors (the query's for kind 'query'). */
export function fixtureEncoder(): { encoder: Encoder; tokenizer: Encoder['tokenizer'] } {
  const tokenizer = fakeEncoder().tokenizer;
  const encoder: Encoder = {
    info: { modelId: 'test/ranking', fingerprint: 'ranking-1', maxLength: 128, denseDim: 4, multiDim: 4, sparseStyle: 'lexical', hasMulti: true },
    tokenizer,
    async encode(texts, opts) {
      return texts.map((t): Encoded => {
        const v = opts?.kind === 'query' ? query : passageFor(t).vectors;
        return {
          dense: Float32Array.from(v.dense),
          sparse: { ids: Uint32Array.from(v.sparse.map(([id]) => id)), weights: Float32Array.from(v.sparse.map(([, w]) => w)) },
          multi: { data: Float32Array.from(v.multi.flat()), count: v.multi.length, dim: 4 },
          tokens: 5,
          truncated: false,
        };
      });
    },
  };
  return { encoder, tokenizer };
}

/** Writes the three pages to a temporary folder and builds their index (token rows kept, float16). */
export async function buildFixtureSite(encoder: Encoder): Promise<{ dir: string; reader: SiteIndexReader }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'm3search-ranking-'));
  for (const p of passages)
    await writeFile(path.join(dir, p.file), `<html><head><title>${p.title}</title></head><body><main><h1>${p.title}</h1><p>${p.text}</p></main></body></html>`);
  const out = path.join(dir, 'm3search');
  await buildSiteIndex({ site: dir, out, encoder, multi: 'all', multiStorage: 'float16' });
  return { dir, reader: await openIndexDir(out) };
}
