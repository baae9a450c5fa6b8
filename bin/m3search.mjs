#!/usr/bin/env node
// The `m3search` command. The CLI is TypeScript run through tsx's loader
// (installed with the package's dev tools by `npm ci`), so no build step is
// needed before indexing a site.
import { register } from 'tsx/esm/api';

register();
await import('../src/site/cli.ts');
