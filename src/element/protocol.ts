// What the page and the search worker say to each other (through comlink).
import type { SiteResults } from '../site/search.js';

export type { SiteResults };
export type { SiteHit } from '../site/search.js';

export interface OpenOptions {
  /** Absolute URL of the index folder (ends with '/'). */
  indexUrl: string;
  /** Absolute URL of the model folder; undefined → the manifest's copied model, if any; 'none' → lexical only. */
  modelUrl?: string;
  /** Nested indexes: multi-vector rows scored per passage (default: every stored row). */
  multiBudget?: number;
}

export type Status =
  | { kind: 'index'; source: 'network' | 'offline-copy'; build: string; passages: number }
  | { kind: 'lexical-ready' }
  | { kind: 'model-loading'; url: string }
  | { kind: 'model-progress'; loaded: number; total?: number }
  | { kind: 'hybrid-ready'; backend: 'webgpu' | 'wasm' }
  | { kind: 'offline-saving'; done: number; total: number }
  | { kind: 'offline-saved'; build: string; files: number }
  | { kind: 'error'; where: 'model' | 'offline' | 'index'; message: string };

export interface OpenInfo {
  build: string;
  /** Absolute URL of the site root (hit URLs are relative to it). */
  siteRoot: string;
  source: 'network' | 'offline-copy';
  passages: number;
  hasModel: boolean;
}

export interface SiteWorkerApi {
  open(opts: OpenOptions, onStatus: (s: Status) => void): Promise<OpenInfo>;
  search(query: string, k?: number): Promise<SiteResults>;
}
