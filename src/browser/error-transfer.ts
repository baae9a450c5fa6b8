// Comlink sends a thrown Error as {name, message, stack} only, so the `code`
// of an M3SearchError would be lost at the worker boundary. This replaces
// comlink's 'throw' handler with one that carries {name, code, message,
// details} and rebuilds a real M3SearchError on the other side. Both the page
// and the worker install it (it must match on both ends).
import { transferHandlers, type TransferHandler } from 'comlink';
import { isM3SearchError, M3SearchError, type ErrorCode } from '../core/errors.js';

interface SerializedM3Error {
  kind: 'm3';
  name: string;
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
  stack?: string;
}

interface SerializedOther {
  kind: 'other';
  inner: unknown;
}

type SerializedThrow = SerializedM3Error | SerializedOther;

let installed = false;

export function installErrorTransfer(): void {
  if (installed) return;
  const base = transferHandlers.get('throw');
  if (base === undefined) throw new Error('comlink has no "throw" transfer handler to extend');
  const handler: TransferHandler<unknown, SerializedThrow> = {
    canHandle: (value: unknown): value is unknown => base.canHandle(value),
    serialize(thrown) {
      const value = (thrown as { value?: unknown }).value;
      if (isM3SearchError(value)) {
        const out: SerializedM3Error = { kind: 'm3', name: value.name, code: value.code, message: value.message, stack: value.stack };
        const details = plainDetails(value.details);
        if (details !== undefined) out.details = details;
        return [out, []];
      }
      const [inner, transfers] = base.serialize(thrown);
      return [{ kind: 'other', inner }, transfers];
    },
    deserialize(s) {
      if (s.kind === 'm3') {
        const err = new M3SearchError(s.code, s.message, s.details);
        if (s.stack) err.stack = s.stack;
        throw err;
      }
      return base.deserialize(s.inner);
    },
  };
  transferHandlers.set('throw', handler as TransferHandler<unknown, unknown>);
  installed = true;
}

/** Details must survive structured clone; anything exotic is dropped rather than failing the reply. */
function plainDetails(d: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (d === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(d)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
