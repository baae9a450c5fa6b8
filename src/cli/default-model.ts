// With no --model, Node tools fall back to the generated tiny test model so a
// fresh clone works offline (its semantic scores are noise; lexical signal is real).
import path from 'node:path';

export async function defaultModelDir(): Promise<string> {
  const { ensureTestModel } = await import('../../scripts/test-model/index.js');
  const { layouts } = await ensureTestModel();
  process.stderr.write(`no --model given: using the generated test model at ${path.relative(process.cwd(), layouts['heads-in-graph'])}\n`);
  return layouts['heads-in-graph'];
}
