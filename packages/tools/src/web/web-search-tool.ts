/**
 * `web_search`: web search results as `search_result` blocks the model can cite (spec §5.10,
 * config §3.1.1). Runs on the server through the configured {@link SearchProvider}.
 */

import type { SearchHit, SearchProvider, UserLocation } from '../search-provider.js';
import { InputError, InputReader } from '../tool-input.js';
import { errorResult, textResult, type SearchResultBlock, type ToolResult } from '../tool-result.js';
import { errorMessage } from '../sandbox-failure.js';
import { headOf } from '../text/truncate.js';
import { refusal } from './domain-rules.js';

/** The per-tool settings of the agent's `web_search` config (spec §3.1.1). */
export interface WebSearchConfig {
  allowed_domains?: string[] | null;
  blocked_domains?: string[] | null;
  user_location?: UserLocation | null;
}

export interface WebSearchOptions {
  /** The search engine; without one the tool answers that web_search is not configured. */
  provider?: SearchProvider;
  config?: WebSearchConfig;
  /** Most results returned. Default 10. */
  maxResults?: number;
  /** Time allowed for the search. Default 30 000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The limits used when {@link WebSearchOptions} leaves them out. */
export const WEB_SEARCH_DEFAULTS = Object.freeze({ maxResults: 10, timeoutMs: 30_000 });

const MAX_QUERY_CHARS = 1000;
const MAX_SNIPPET_CHARS = 2000;
const MAX_TITLE_CHARS = 300;

export interface WebSearchInput {
  query: string;
}

/** Reads and checks a `web_search` input. @throws InputError */
export function parseWebSearchInput(raw: unknown): WebSearchInput {
  const input = new InputReader('web_search', raw, ['query']);
  const query = input.string('query').trim();
  if (query === '') throw new InputError('web_search: "query" must not be blank');
  if (query.length > MAX_QUERY_CHARS) throw new InputError(`web_search: "query" is ${query.length} characters long; at most ${MAX_QUERY_CHARS} are accepted`);
  return { query };
}

function toBlock(hit: SearchHit): SearchResultBlock {
  const snippet = (hit.snippet ?? '').replace(/\s+/g, ' ').trim();
  const published = hit.publishedAt ? `Published: ${hit.publishedAt}\n` : '';
  const text = `${published}${headOf(snippet, MAX_SNIPPET_CHARS)}`.trim() || '(no excerpt)';
  const title = headOf(hit.title.replace(/\s+/g, ' ').trim(), MAX_TITLE_CHARS) || hit.url;
  return { type: 'search_result', source: hit.url, title, content: [{ type: 'text', text }], citations: { enabled: true } };
}

/**
 * Runs a `web_search` call. Hits outside the configured domains are dropped whatever the engine
 * returned, duplicates are merged, and at most `maxResults` come back in the engine's order.
 *
 * @example
 * await webSearchTool({ query: 'bubblewrap seccomp' }, null, { provider: searxngSearchProvider({ baseUrl }) });
 */
export async function webSearchTool(raw: unknown, _sandbox: unknown, options: WebSearchOptions = {}): Promise<ToolResult> {
  let input: WebSearchInput;
  try {
    input = parseWebSearchInput(raw);
  } catch (err) {
    if (err instanceof InputError) return errorResult(err.message);
    throw err;
  }
  const provider = options.provider;
  if (!provider) return errorResult('web_search: unavailable: no search provider is configured in this deployment, so the web cannot be searched');
  const maxResults = options.maxResults ?? WEB_SEARCH_DEFAULTS.maxResults;
  const timeoutMs = options.timeoutMs ?? WEB_SEARCH_DEFAULTS.timeoutMs;
  const config = options.config ?? {};
  const rules = { allowedDomains: config.allowed_domains, blockedDomains: config.blocked_domains };

  const timeout = AbortSignal.timeout(timeoutMs);
  let hits: SearchHit[];
  try {
    hits = await provider.search({
      query: input.query,
      maxResults,
      allowedDomains: config.allowed_domains ?? undefined,
      blockedDomains: config.blocked_domains ?? undefined,
      userLocation: config.user_location ?? undefined,
      signal: AbortSignal.any(options.signal ? [timeout, options.signal] : [timeout]),
    });
  } catch (err) {
    if (options.signal?.aborted) return errorResult('web_search: the search was interrupted');
    if (timeout.aborted) return errorResult(`web_search: ${provider.name} did not answer within ${timeoutMs} ms`);
    return errorResult(`web_search: the search failed (${provider.name}): ${errorMessage(err)}`);
  }

  const seen = new Set<string>();
  const blocks: SearchResultBlock[] = [];
  let filtered = 0;
  for (const hit of hits) {
    let url: URL;
    try {
      url = new URL(hit.url);
    } catch {
      continue;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
    if (refusal(url, rules)) {
      filtered++;
      continue;
    }
    if (seen.has(url.href)) continue;
    seen.add(url.href);
    blocks.push(toBlock({ ...hit, url: url.href }));
    if (blocks.length >= maxResults) break;
  }
  if (blocks.length === 0) {
    const why = filtered > 0 ? ` (${filtered} result${filtered === 1 ? ' was' : 's were'} left out by the agent's allowed_domains / blocked_domains)` : '';
    return textResult(`No results for ${JSON.stringify(input.query)}${why}`);
  }
  return { content: blocks, isError: false };
}
