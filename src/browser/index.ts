// Browser entry of the package: `import { createSearch } from 'm3search'`.
export { createSearch, openSearch, DEFAULT_MODEL_URL } from './create-search.js';
export type { AddOptions, BrowserSearch, BrowserSearchOptions, CreateSearchOptions, SearchInfo, SearchState } from './create-search.js';
export type {
  AddReport,
  Backend,
  BackendPreference,
  CrashKind,
  IndexProgress,
  LoadProgress,
  OpenReport,
  RemoteSearchOptions,
  RemoveReport,
  SearchStats,
  SearchWarning,
  SkippedRecord,
} from './protocol.js';
export type { StoreCounts } from './store.js';
export { openSiteSearch, type OpenSiteSearchOptions } from './site-search.js';
export type { SiteSearch, SiteSearchCallOptions, SiteSearchOptions, SiteSearchState } from './site-client.js';
export type { SiteHit, SiteOpenReport, SiteQueryOptions, SiteResults, SiteStatus } from './protocol.js';
export { M3SearchError, isM3SearchError, type ErrorCode } from '../core/errors.js';
export type { Doc, Hit, IndexOptions, Mode, Fusion, Weights, SignalScore, Signal, Encoded } from '../core/types.js';
export type { ModelInfo } from '../model/encoder.js';
export { MODEL_PRESETS, type ModelPreset, type PresetName, type PresetOption } from '../model/presets.js';
