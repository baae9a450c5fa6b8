// The page side of the search worker: one worker per page, started on first
// use (focus or typing), so a page that never searches downloads nothing.
import { proxy, wrap, type Remote } from 'comlink';
import type { OpenInfo, SiteResults, SiteWorkerApi, Status } from './protocol.js';

export interface ClientConfig {
  indexUrl: string;
  modelUrl?: string;
  multiBudget?: number;
  workerUrl: string;
}

export class SiteClient {
  private api?: Remote<SiteWorkerApi>;
  private opened?: Promise<OpenInfo>;
  private readonly listeners = new Set<(s: Status) => void>();
  /** Every status seen so far, replayed to late listeners (several boxes on one page). */
  private readonly history: Status[] = [];

  constructor(private readonly config: ClientConfig) {}

  onStatus(fn: (s: Status) => void): () => void {
    this.listeners.add(fn);
    for (const s of this.history) fn(s);
    return () => this.listeners.delete(fn);
  }

  open(): Promise<OpenInfo> {
    if (!this.opened) {
      const worker = new Worker(this.config.workerUrl, { type: 'module', name: 'm3search' });
      this.api = wrap<SiteWorkerApi>(worker);
      const emit = (s: Status): void => {
        this.history.push(s);
        for (const fn of this.listeners) fn(s);
      };
      this.opened = this.api.open({ indexUrl: this.config.indexUrl, modelUrl: this.config.modelUrl, multiBudget: this.config.multiBudget }, proxy(emit));
    }
    return this.opened;
  }

  async search(query: string, k = 10): Promise<SiteResults> {
    await this.open();
    return this.api!.search(query, k);
  }
}
