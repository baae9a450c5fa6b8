// `m3search/site`: the static-site search builder (Node) and the reader that
// queries a built index from Node.
export { indexSite, type IndexSiteOptions, type IndexSiteReport } from './publish.js';
export { buildSiteIndex, DEFAULT_MAX_TOKENS } from './build.js';
export type { BuildOptions, BuildPhase, BuildProgress, BuildReport } from './build.js';
export type { Encoder } from '../core/encoder.js';
export type { CrawlOptions } from './crawl.js';
export { injectSite, type InjectOptions } from './inject.js';
export { openIndexDir, searchIndexDir } from './node-reader.js';
export { SiteIndexReader, type SiteMode } from './query.js';
export { searchSite, type SiteHit, type SiteResults, type SiteSearchOptions } from './search.js';
export { serveStatic, type ServeOptions, type StaticServer } from './serve.js';
export type { MultiLayout, MultiStorageKind, SiteManifest } from './types.js';
export { M3SearchError, isM3SearchError, type ErrorCode } from '../core/errors.js';
