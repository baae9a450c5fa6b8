// What the cross-surface parity tests compare: one storage precision (what a
// static site stores) and five rankings, given to every surface alike.
import type { IndexOptions, SearchOptions } from '../../src/core/types.js';

/** The precision a static site stores, asked of the engine. */
export const SITE_PRECISION: IndexOptions = { dense: 'int8', sparse: 'float16', multi: 'int8', multiVectors: 'nested', maxMultiVectors: 8 };

/** The five rankings compared, with the options every surface is given (a site's own default is coarseBudget 0). */
export const PARITY_MODES: Record<string, SearchOptions> = {
  dense: { mode: 'dense' },
  sparse: { mode: 'sparse' },
  multi: { mode: 'multi', coarseBudget: 0 },
  'hybrid weighted': { mode: 'hybrid', coarseBudget: 0, weights: { dense: 0.5, sparse: 0.3, multi: 0.2 } },
  'hybrid rrf': { mode: 'hybrid', fusion: 'rrf', coarseBudget: 0 },
};
