// Mutation testing of the pure folders (core, model, engine and the site
// reader), where the tests are fast. In src/model only the pure head math:
// encoder.ts, load.ts, tokenizer.ts and source.ts need ONNX sessions or model
// files per test and are checked by the reference tests instead. `npm run mutation` runs all of it;
// `npm run mutation -- --mutate 'src/core/**/*.ts'` one folder;
// `npm run mutation:ci` the scoped, time-bounded subset that .ci/run uses.
// Reports: coverage/mutation/index.html (every surviving mutant, with its
// diff) and coverage/mutation/mutation.json (for scripts/mutation-score.mjs).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Stryker runs the tests in a sandbox copy under .cache/stryker-tmp: point
// them at the real ../shared (tokenizers, collections) beside this checkout.
process.env.M3S_SHARED_DIR ??= path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'shared');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.ts', related: true },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  mutate: [
    'src/core/**/*.ts',
    'src/model/heads.ts',
    'src/model/sparse-pruning.ts',
    'src/model/noise.ts',
    'src/engine/**/*.ts',
    'src/site/query.ts',
    'src/site/search.ts',
    'src/site/shards.ts',
    'src/site/snippet.ts',
    'src/site/keyword-shards.ts',
    'src/site/front-code.ts',
    'src/site/vectors.ts',
    // Hand-assembled WebAssembly bytes: every mutant is a different binary
    // that the kernel tests reject wholesale; not worth the run time.
    '!src/core/wasm-asm.ts',
    // Type declarations and re-exports only.
    '!src/core/index.ts',
  ],
  // Low concurrency: the machine is shared.
  concurrency: 2,
  // Static mutants (module-level constants) rerun the whole suite each; they
  // are listed as "ignored" in the report instead.
  ignoreStatic: true,
  timeoutMS: 20_000,
  tempDirName: '.cache/stryker-tmp',
  // Not copied into each sandbox: the real-size models (gigabytes, often a
  // symlink), bench and site outputs. The tests need only .cache/test-model.
  ignorePatterns: ['/.cache/model-shape', '/.cache/test-model-wide', '/out', '/test-results'],
  cleanTempDir: 'always',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'coverage/mutation/index.html' },
  jsonReporter: { fileName: 'coverage/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: true },
  thresholds: { high: 90, low: 85, break: null },
};
