// With no --model, the commands fall back to the generated tiny test model so
// a fresh clone works offline (its semantic scores are noise; lexical signal
// is real). The published package has no test model: --model is required.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { M3SearchError } from '../core/errors.js';
import { isSourceCheckout, TEST_MODEL_DIR } from '../node/package-root.js';

export function resolveModel(given: string | undefined, log: (line: string) => void): string {
  if (given) return given;
  if (existsSync(path.join(TEST_MODEL_DIR, 'tokenizer.json'))) {
    log(`no --model given: using the generated test model at ${path.relative(process.cwd(), TEST_MODEL_DIR) || '.'} (semantic scores are noise; lexical signal is real)`);
    return TEST_MODEL_DIR;
  }
  const hint = isSourceCheckout() ? ' (no generated test model found: `npm run model:test` makes one)' : '';
  throw new M3SearchError('INVALID_OPTION', `--model DIR|URL is required: an encoder folder or URL (tokenizer.json, onnx/model_quantized.onnx, …)${hint}.`, { option: 'model' });
}
