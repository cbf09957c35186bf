/**
 * The port web_search asks a search engine through. Adapters live in `src/<engine>/`; the
 * SearXNG one (`src/searxng/`) suits a self-hosted deployment.
 */

/** The approximate location of the user, from the agent's web_search config (spec §3.1.1). */
export interface UserLocation {
  type: 'approximate';
  city?: string | null;
  country?: string | null;
  region?: string | null;
  timezone?: string | null;
}

export interface SearchQuery {
  query: string;
  /** How many hits the tool will show; a provider may return more (the tool filters, then cuts). */
  maxResults: number;
  /** Hints an engine may use to narrow the search; the tool enforces them on the hits regardless. */
  allowedDomains?: readonly string[];
  blockedDomains?: readonly string[];
  userLocation?: UserLocation;
  signal: AbortSignal;
}

export interface SearchHit {
  url: string;
  title: string;
  /** The engine's excerpt of the page. */
  snippet?: string;
  /** When the page was published, as the engine reports it. */
  publishedAt?: string;
}

export interface SearchProvider {
  /** A short name for messages (`searxng`). */
  readonly name: string;
  /** Hits in the engine's order of relevance. Rejects when the engine cannot be asked or fails. */
  search(query: SearchQuery): Promise<SearchHit[]>;
}
