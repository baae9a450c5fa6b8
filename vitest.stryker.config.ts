// The suites Stryker runs against each mutant: the fast, pure ones (no
// Chromium, no CLI subprocesses, no benchmarks). `npm run mutation` uses it.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/core/**/*.test.ts',
      'test/model/**/*.test.ts',
      'test/engine/**/*.test.ts',
      'test/nested/**/*.test.ts',
      'test/long/multi-cls.test.ts', // long.test.ts: 45 s of 1 MB documents
      'test/splade/**/*.test.ts',
      'test/site/build.test.ts',
      'test/site/nested.test.ts',
      'test/site/ranking.test.ts',
      'test/site/snippet.test.ts',
    ],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
