// Typed errors. Each carries a stable `code` so callers (and the worker
// boundary, which only keeps plain data) can branch on it.

export type ErrorCode =
  | 'INVALID_DOCUMENT'
  | 'DUPLICATE_ID'
  | 'EMPTY_QUERY'
  /** A query longer than the engine's maxQueryChars or than the model could read (details: length, limit). */
  | 'QUERY_TOO_LONG'
  | 'INDEX_EMPTY'
  | 'NOT_READY'
  | 'MODEL_FILES'
  | 'MODEL_MISMATCH'
  | 'SCHEMA_MISMATCH'
  | 'QUOTA_EXCEEDED'
  | 'STORAGE'
  | 'CORRUPT_RECORD'
  | 'ABORTED'
  | 'WORKER_CRASHED'
  | 'INVALID_OPTION'
  | 'INVALID_INDEX'
  /** The page's Content-Security-Policy refuses to compile WebAssembly (no 'wasm-unsafe-eval'). */
  | 'WASM_BLOCKED';

export class M3SearchError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'M3SearchError';
    this.code = code;
    this.details = details;
  }
}

/** Throws the standard abort error when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new M3SearchError('ABORTED', 'The operation was cancelled.');
}

export function isM3SearchError(e: unknown, code?: ErrorCode): e is M3SearchError {
  return (
    typeof e === 'object' &&
    e !== null &&
    (e as { name?: unknown }).name === 'M3SearchError' &&
    (code === undefined || (e as { code?: unknown }).code === code)
  );
}
