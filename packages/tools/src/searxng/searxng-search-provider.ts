/**
 * A {@link SearchProvider} for SearXNG, the self-hostable metasearch engine, through its JSON API
 * (`GET /search?q=…&format=json`). The instance must allow that format: `search.formats` in its
 * settings.yml has to list `json` (it answers 403 otherwise).
 *
 * The instance is the operator's own service, named in the deployment's configuration; it is
 * reached with the given `fetch` (the global one by default), not through the sandbox's egress policy.
 */

import type { SearchHit, SearchProvider, SearchQuery } from '../search-provider.js';

export interface SearxngOptions {
  /** Where the instance answers, e.g. `http://127.0.0.1:8888` or `https://search.internal/searxng`. */
  baseUrl: string;
  /** The HTTP client; the global `fetch` unless given. */
  fetch?: typeof globalThis.fetch;
  /** SearXNG `language` (e.g. `en`, `de-CH`); the instance's default unless given. */
  language?: string;
  /** SearXNG `safesearch`: 0 off, 1 moderate, 2 strict. */
  safesearch?: 0 | 1 | 2;
  /** SearXNG `categories` (comma-separated), e.g. `general`. */
  categories?: string;
  /** SearXNG `engines` (comma-separated), to pin which engines answer. */
  engines?: string;
  /** Extra headers (an instance behind an authenticating proxy). */
  headers?: Record<string, string>;
}

interface SearxngResult {
  url?: unknown;
  title?: unknown;
  content?: unknown;
  publishedDate?: unknown;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/**
 * Creates the SearXNG provider. The search `signal` cancels the request. `userLocation` is not
 * used (SearXNG has no location parameter); `allowedDomains` and `blockedDomains` are enforced
 * by web_search on the hits.
 *
 * @example
 * const provider = searxngSearchProvider({ baseUrl: 'http://127.0.0.1:8888', language: 'en' });
 */
export function searxngSearchProvider(options: SearxngOptions): SearchProvider {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const base = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
  return {
    name: 'searxng',
    async search(query: SearchQuery): Promise<SearchHit[]> {
      const url = new URL('search', base);
      url.searchParams.set('q', query.query);
      url.searchParams.set('format', 'json');
      url.searchParams.set('pageno', '1');
      if (options.language) url.searchParams.set('language', options.language);
      if (options.safesearch !== undefined) url.searchParams.set('safesearch', String(options.safesearch));
      if (options.categories) url.searchParams.set('categories', options.categories);
      if (options.engines) url.searchParams.set('engines', options.engines);

      const response = await fetchImpl(url, { headers: { accept: 'application/json', ...options.headers }, signal: query.signal });
      if (response.status === 403) {
        await response.body?.cancel();
        throw new Error('the SearXNG instance refused the JSON format (HTTP 403); add "json" to search.formats in its settings.yml');
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new Error(`the SearXNG instance answered with HTTP status ${response.status}`);
      }
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        throw new Error('the SearXNG instance did not answer with JSON');
      }
      const results = (body as { results?: unknown } | null)?.results;
      if (!Array.isArray(results)) throw new Error('the SearXNG answer has no "results" list');

      const hits: SearchHit[] = [];
      for (const item of results as SearxngResult[]) {
        const hitUrl = text(item?.url);
        if (!hitUrl) continue;
        hits.push({
          url: hitUrl,
          title: text(item.title) ?? hitUrl,
          snippet: text(item.content),
          publishedAt: text(item.publishedDate),
        });
      }
      return hits;
    },
  };
}
