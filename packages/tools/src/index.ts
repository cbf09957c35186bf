/**
 * @longhand/tools: the built-in toolset `agent_toolset_20260401` (bash, read, write, edit, glob,
 * grep, web_fetch, web_search) as functions of (input, sandbox, options). See README.md.
 */

export { runTool, isIdempotent, isToolName } from './run-tool.js';
export type { ToolContext } from './run-tool.js';
export { TOOL_SPECS, TOOL_NAMES } from './tool-specs.js';
export type { ToolSpec, ToolName } from './tool-specs.js';
export { textResult, errorResult } from './tool-result.js';
export type { ToolResult, ToolContentBlock, TextBlock, ImageBlock, DocumentBlock, SearchResultBlock } from './tool-result.js';

export { bashTool, BASH_DEFAULTS } from './bash/bash-tool.js';
export type { BashOptions, BashInput } from './bash/bash-tool.js';
export { readTool, READ_DEFAULTS } from './files/read-tool.js';
export type { ReadOptions, ReadInput } from './files/read-tool.js';
export { writeTool } from './files/write-tool.js';
export type { WriteInput } from './files/write-tool.js';
export { editTool, EDIT_DEFAULTS } from './files/edit-tool.js';
export type { EditOptions, EditInput } from './files/edit-tool.js';
export { globTool, GLOB_DEFAULTS } from './search/glob-tool.js';
export type { GlobOptions, GlobInput } from './search/glob-tool.js';
export { grepTool, GREP_DEFAULTS } from './search/grep-tool.js';
export type { GrepOptions, GrepInput } from './search/grep-tool.js';
export type { GrepEngine } from './search/grep-engines.js';
export { compileGlob } from './search/glob-pattern.js';

export { webFetchTool, WEB_FETCH_DEFAULTS } from './web/web-fetch-tool.js';
export type { WebFetchOptions, WebFetchConfig, WebFetchInput } from './web/web-fetch-tool.js';
export type { Fetcher, FetchedResponse } from './web-fetcher.js';
export { htmlToText } from './web/html-to-text.js';
export type { HtmlText } from './web/html-to-text.js';
export { webSearchTool, WEB_SEARCH_DEFAULTS } from './web/web-search-tool.js';
export type { WebSearchOptions, WebSearchConfig, WebSearchInput } from './web/web-search-tool.js';
export { webFetchConfigOf, webSearchConfigOf } from './web/web-tool-config.js';
export type { SearchProvider, SearchQuery, SearchHit, UserLocation } from './search-provider.js';
export { searxngSearchProvider } from './searxng/searxng-search-provider.js';
export type { SearxngOptions } from './searxng/searxng-search-provider.js';
