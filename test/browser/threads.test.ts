// ONNX Runtime's WASM thread count: threads need SharedArrayBuffer, which only
// a cross-origin-isolated page (COOP + COEP) has.
import { describe, expect, it } from 'vitest';
import { wasmThreads } from '../../src/browser/backend.js';

describe('wasmThreads', () => {
  it('is 1 without isolation, up to 4 cores with it, and what was asked when asked', () => {
    expect(wasmThreads(undefined, false, 8)).toBe(1);
    expect(wasmThreads(undefined, true, 2)).toBe(2);
    expect(wasmThreads(undefined, true, 16)).toBe(4);
    expect(wasmThreads(undefined, true, 1)).toBe(1);
    expect(wasmThreads(3, false, 8)).toBe(3);
  });
});
