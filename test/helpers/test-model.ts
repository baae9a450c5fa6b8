// The generated tiny model (built once by test/global-setup.ts; this call is a cheap stamp check).
import { ensureTestModel } from '../../scripts/test-model/index.js';

let cached: ReturnType<typeof ensureTestModel> | undefined;

export function testModel(): ReturnType<typeof ensureTestModel> {
  cached ??= ensureTestModel();
  return cached;
}
