// Every bench section, in run order. To add one: write ./my-section.ts
// exporting a `BenchSection` and append it here (one import, one entry).
import type { BenchSection } from '../section.js';
import { encodingSection } from './encoding.js';
import { latencySection } from './latency.js';
import { memorySection } from './memory.js';
import { openSection } from './open.js';
import { multiBudget } from './multi-budget.js';
import { sparseL0 } from './sparse-l0.js';
import { longDocs } from './long-docs.js';
import { kernelsSection } from './kernels.js';
import { hugeDocs } from './huge-docs.js';
import { hugePage } from './huge-page.js';
import { keywordScale } from './keyword-scale.js';
import { realSize } from './real-size.js';
import { realSizeBrowser } from './real-size-browser.js';

export const SECTIONS: BenchSection[] = [
  latencySection,
  encodingSection,
  memorySection,
  openSection,
  kernelsSection,
  multiBudget,
  sparseL0,
  longDocs,
  hugeDocs,
  hugePage,
  keywordScale,
  realSize,
  realSizeBrowser,
];
