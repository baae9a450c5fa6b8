// IndexedDB failures → typed errors. A full disk surfaces as a
// QuotaExceededError, or (Firefox, some Chrome paths) only as the transaction
// aborting with no other error; both mean "out of space" to the user.
import { isM3SearchError, M3SearchError } from '../core/errors.js';

export function storageError(e: unknown, action: string): M3SearchError {
  if (e instanceof M3SearchError) return e;
  if (isM3SearchError(e)) return new M3SearchError(e.code, e.message, e.details);
  const name = errorName(e);
  const message = e instanceof Error || isDomLike(e) ? (e as { message: string }).message : String(e);
  if (name === 'QuotaExceededError' || name === 'AbortError') {
    return new M3SearchError(
      'QUOTA_EXCEEDED',
      `Could not ${action}: the browser refused to store more data (${name}${message ? `: ${message}` : ''}). Everything indexed before this batch is still stored and searchable; free space or use smaller storage (dense 'int8', multi 'int8').`,
      { cause: name },
    );
  }
  return new M3SearchError('STORAGE', `Could not ${action}: ${name ? `${name}: ` : ''}${message}`, { cause: name ?? 'unknown' });
}

function errorName(e: unknown): string | undefined {
  return isDomLike(e) ? e.name : undefined;
}

function isDomLike(e: unknown): e is { name: string; message: string } {
  return typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string';
}
