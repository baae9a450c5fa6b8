// The suites Stryker runs against each mutant (`npm run mutation`): the fast,
// pure ones. Left out: Chromium and CLI suites, benchmarks, and the suites
// that load the ONNX test model (model/encoder, engine/engine, splade, long):
// each mutant they cover would cost an encoder run of seconds on a shared
// 2-core machine. test/engine/engine-logic.test.ts covers the engine with a
// fake encoder instead.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/core/**/*.test.ts',
      'test/model/heads.test.ts',
      'test/model/model-edges.test.ts',
      'test/engine/engine-logic.test.ts',
      'test/nested/**/*.test.ts',
      'test/site/build.test.ts',
      'test/site/nested.test.ts',
      'test/site/ranking.test.ts',
      'test/site/ranking-as-given.test.ts',
      'test/site/snippet.test.ts',
      'test/site/reader-shards.test.ts',
      'test/site/reader-query.test.ts',
      'test/site/reader-snippet.test.ts',
      'test/site/dense-bits.test.ts',
      'test/site/doc-only-reader.test.ts',
      'test/site/front-code.test.ts',
      'test/site/keyword-site-vs-core.test.ts',
      'test/site/keyword-shards.test.ts',
      'test/engine/engine-keyword.test.ts',
      'test/engine/windows.test.ts',
      'test/engine/windows-mutation.test.ts',
      'test/engine/long-docs.test.ts',
      'test/engine/validate.test.ts',
      'test/engine/engine-writes.test.ts',
      'test/engine/engine-options.test.ts',
    ],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
