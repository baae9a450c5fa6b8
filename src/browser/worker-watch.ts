// Noticing that the worker died. Browsers give no "exit" event for workers:
// an `error` event covers a script that failed to load or threw, and a Web
// Lock held by the worker until its end covers everything else (killed,
// self-closed, out of memory) — the page's request for the same lock is
// granted exactly when the worker is gone.
import type { Remote } from 'comlink';
import type { WorkerApi } from './protocol.js';

/** Calls `onDead` once if the worker dies; returns a function that stops watching. */
export function watchWorker(worker: Worker, remote: Remote<WorkerApi>, onDead: (why: string) => void): () => void {
  let stopped = false;
  const stop = new AbortController();
  const dead = (why: string) => {
    if (stopped) return;
    stopped = true;
    onDead(why);
  };
  const onError = (ev: Event) => {
    const message = (ev as ErrorEvent).message;
    dead(message ? `uncaught error: ${message}` : 'its script failed to load or threw');
  };
  const onMessageError = () => dead('a message from it could not be read');
  worker.addEventListener('error', onError);
  worker.addEventListener('messageerror', onMessageError);

  const locks = (globalThis.navigator as { locks?: LockManager } | undefined)?.locks;
  if (locks) {
    const name = `m3search-worker-${randomId()}`;
    remote.holdLifeLock(name).then(
      (held) => {
        if (!held || stopped) return;
        locks
          .request(name, { signal: stop.signal }, () => dead('it exited or was killed'))
          .catch(() => undefined); // aborted by stop()
      },
      () => undefined, // the worker died before answering: the error event or a pending call reports it
    );
  }

  return () => {
    stopped = true;
    stop.abort();
    worker.removeEventListener('error', onError);
    worker.removeEventListener('messageerror', onMessageError);
  };
}

function randomId(): string {
  return typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}
