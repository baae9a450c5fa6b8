// Document validation and copying. The index keeps its own deep copy of every
// document so callers mutating their objects (or hits) can never corrupt it.

import { M3SearchError, type ErrorCode } from './errors.js';
import type { Doc, Metadata } from './types.js';

/** What is wrong with `doc` as a document, or undefined when it is valid. */
export function docProblem(doc: unknown): string | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'a document must be an object';
  const d = doc as Record<string, unknown>;
  if (typeof d.id !== 'string' || d.id === '') return 'a document needs a non-empty string id';
  if (typeof d.text !== 'string') return `document "${d.id}": text must be a string, got ${typeName(d.text)}`;
  if (d.text.trim() === '') return `document "${d.id}": text is empty or whitespace only`;
  if (d.title !== undefined && typeof d.title !== 'string') return `document "${d.id}": title must be a string`;
  if (d.url !== undefined && typeof d.url !== 'string') return `document "${d.id}": url must be a string`;
  if (d.meta !== undefined) {
    if (!isPlainObject(d.meta)) return `document "${d.id}": meta must be a plain object`;
    const bad = jsonProblem(d.meta, 'meta', new Set());
    if (bad !== undefined) return `document "${d.id}": ${bad}`;
  }
  return undefined;
}

/** Validates and returns the index's own copy, or throws `code`. */
export function checkDoc(doc: unknown, code: ErrorCode = 'INVALID_DOCUMENT'): Doc {
  const problem = docProblem(doc);
  if (problem !== undefined) {
    const id = typeof doc === 'object' && doc !== null ? (doc as { id?: unknown }).id : undefined;
    throw new M3SearchError(code, problem, typeof id === 'string' ? { id } : undefined);
  }
  return cloneDoc(doc as Doc);
}

/** A deep copy holding only the Doc fields (undefined fields omitted). */
export function cloneDoc(doc: Readonly<Doc>): Doc {
  const out: Doc = { id: doc.id, text: doc.text };
  if (doc.title !== undefined) out.title = doc.title;
  if (doc.url !== undefined) out.url = doc.url;
  if (doc.meta !== undefined) out.meta = cloneJson(doc.meta) as Metadata;
  return out;
}

/** UTF-8 byte length of a string, without allocating (stats estimates). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Approximate JSON size of a document in bytes. */
export function docBytes(doc: Readonly<Doc>): number {
  return utf8Length(JSON.stringify(doc));
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  // Object.prototype of any realm (records read back through a worker or an IndexedDB shim).
  const proto = Object.getPrototypeOf(v) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** Deepest nesting of arrays/objects accepted in `meta`: deeper would overflow the stack of every recursive copy and of JSON.stringify. */
export const MAX_META_DEPTH = 64;

/** Metadata must survive JSON (snapshots) and structured clone (IndexedDB, postMessage). */
function jsonProblem(v: unknown, path: string, seen: Set<object>, depth = 0): string | undefined {
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'undefined': // dropped by JSON, like JSON.stringify does
      return undefined;
    case 'number':
      return Number.isFinite(v) ? undefined : `${path} holds a non-finite number`;
    case 'object': {
      if (v === null) return undefined;
      if (seen.has(v)) return `${path} is circular`;
      if (depth >= MAX_META_DEPTH) return `${path} is nested deeper than ${MAX_META_DEPTH} levels`;
      seen.add(v);
      let bad: string | undefined;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length && bad === undefined; i++) bad = jsonProblem(v[i], `${path}[${i}]`, seen, depth + 1);
      } else if (!isPlainObject(v)) {
        bad = `${path} is not plain JSON data`;
      } else {
        for (const k of Object.keys(v)) {
          bad = jsonProblem(v[k], `${path}.${k}`, seen, depth + 1);
          if (bad !== undefined) break;
        }
      }
      seen.delete(v);
      return bad;
    }
    default:
      return `${path} holds a ${typeof v}, which is not JSON data`;
  }
}

function cloneJson(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(cloneJson);
  const out: Record<string, unknown> = {};
  // defineProperty, not assignment: a JSON "__proto__" key is data and must stay an own key, not set the prototype.
  for (const k of Object.keys(v)) Object.defineProperty(out, k, { value: cloneJson((v as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
  return out;
}
