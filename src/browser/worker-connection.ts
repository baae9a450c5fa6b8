// The page's end of one search worker, shared by createSearch and
// openSiteSearch: comlink wrapping with typed errors, cancellation by call id
// (`signal` → cancel(id)), and the crash watch — when the worker dies (script
// 404, throw at start, killed) every pending call rejects with WORKER_CRASHED.
import { wrap, type Remote } from 'comlink';
import { M3SearchError } from '../core/errors.js';
import { installErrorTransfer } from './error-transfer.js';
import type { WorkerApi } from './protocol.js';
import { watchWorker } from './worker-watch.js';

export class WorkerConnection {
  readonly remote: Remote<WorkerApi>;
  private readonly pending = new Set<(e: M3SearchError) => void>();
  private readonly stopWatching: () => void;
  private ended: M3SearchError | undefined;
  private nextCall = 1;

  /**
   * `onCrash` runs once, after the pending calls have been rejected, if the
   * worker dies on its own; `advice` ends the WORKER_CRASHED message.
   */
  constructor(
    private readonly worker: Worker,
    onCrash: (error: M3SearchError) => void,
    advice = 'Open the search again.',
  ) {
    installErrorTransfer();
    this.remote = wrap<WorkerApi>(worker);
    this.stopWatching = watchWorker(worker, this.remote, (message) => {
      const error = new M3SearchError('WORKER_CRASHED', `The search worker stopped unexpectedly (${message}). ${advice}`);
      if (this.end(error)) onCrash(error);
    });
  }

  /** Why the connection ended (crash, close, terminate); undefined while it is alive. */
  get error(): M3SearchError | undefined {
    return this.ended;
  }

  /**
   * Runs one remote call. It rejects with the worker's error, with
   * WORKER_CRASHED if the worker dies first, and — when `rejectOnAbort` —
   * with ABORTED as soon as `signal` fires (the worker drops it at its next check).
   */
  call<T>(run: (remote: Remote<WorkerApi>, callId: number) => Promise<T>, signal?: AbortSignal, rejectOnAbort = false): Promise<T> {
    if (this.ended) return Promise.reject(this.ended);
    if (signal?.aborted) return Promise.reject(new M3SearchError('ABORTED', 'The operation was cancelled.'));
    const callId = this.nextCall++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        void this.remote.cancel(callId).catch(() => undefined);
        if (rejectOnAbort) settle(() => reject(new M3SearchError('ABORTED', 'The operation was cancelled.')));
      };
      let settled = false;
      const settle = (f: () => void) => {
        if (settled) return;
        settled = true;
        this.pending.delete(onDead);
        signal?.removeEventListener('abort', onAbort);
        f();
      };
      const onDead = (e: M3SearchError) => settle(() => reject(e));
      this.pending.add(onDead);
      signal?.addEventListener('abort', onAbort, { once: true });
      run(this.remote, callId).then(
        (v) => settle(() => resolve(v)),
        (e: unknown) => settle(() => reject(e)),
      );
    });
  }

  /** Ends the worker and rejects everything pending with `error`; false if it had already ended. */
  end(error: M3SearchError): boolean {
    if (this.ended) return false;
    this.ended = error;
    this.stopWatching();
    this.worker.terminate();
    for (const reject of [...this.pending]) reject(error);
    this.pending.clear();
    return true;
  }
}
