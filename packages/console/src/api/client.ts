import { ApiError, NetworkError, errorFromResponse } from './api-error.js';

export type QueryValue = string | number | boolean | undefined | null | readonly string[];
export type Query = Record<string, QueryValue>;

export interface ApiClientOptions {
  /** Origin and path prefix of the API; empty for the console's own origin. */
  baseUrl?: string;
  apiKey: string;
  /** Called once for any 401, so the app can sign out. */
  onUnauthorized?: () => void;
}

/**
 * Encodes a query as the SDK does (spec 1.4): arrays as `key[]=a&key[]=b`; `undefined`, `null`
 * and empty strings are left out.
 */
export function encodeQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const item of value) params.append(`${key}[]`, item);
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * The console's only way to the server: `fetch` with the key in `x-api-key`, JSON in and out,
 * failures as `ApiError` (the server answered) or `NetworkError` (it did not).
 */
export class ApiClient {
  private readonly baseUrl: string;

  constructor(private readonly options: ApiClientOptions) {
    this.baseUrl = (options.baseUrl ?? '').replace(/\/$/, '');
  }

  /** Headers every request carries. */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      'x-api-key': this.options.apiKey,
      'anthropic-version': '2023-06-01',
      'anthropic-beta': 'managed-agents-2026-04-01',
      ...extra,
    };
  }

  /**
   * A raw response for a path (streams and downloads); throws for any non-2xx answer.
   *
   * @example
   * const response = await client.raw('/v1/sessions/sesn_1/events/stream', { signal });
   */
  async raw(path: string, init: { method?: string; query?: Query; body?: unknown; signal?: AbortSignal; accept?: string } = {}): Promise<Response> {
    const hasBody = init.body !== undefined;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}${encodeQuery(init.query)}`, {
        method: init.method ?? 'GET',
        headers: this.headers({
          accept: init.accept ?? 'application/json',
          ...(hasBody ? { 'content-type': 'application/json' } : {}),
        }),
        ...(hasBody ? { body: JSON.stringify(init.body) } : {}),
        ...(init.signal ? { signal: init.signal } : {}),
        cache: 'no-store',
      });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new NetworkError(error instanceof Error ? error.message : String(error));
    }
    if (!response.ok) {
      const failure = await errorFromResponse(response);
      if (failure.unauthorized) this.options.onUnauthorized?.();
      throw failure;
    }
    return response;
  }

  /** Sends a request and parses its JSON answer. */
  async request<T>(method: string, path: string, init: { query?: Query; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
    const response = await this.raw(path, { ...init, method });
    const text = await response.text();
    try {
      return (text ? JSON.parse(text) : undefined) as T;
    } catch {
      throw new ApiError(response.status, 'api_error', `the server answered ${path} with something that is not JSON`);
    }
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, { ...(query ? { query } : {}), ...(signal ? { signal } : {}) });
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body === undefined ? {} : { body });
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  /**
   * Every item of a cursor-paged list, following `next_page` until it is null (spec 1.8),
   * stopping after `max` items.
   */
  async listAll<T>(path: string, query: Query = {}, options: { max?: number; signal?: AbortSignal } = {}): Promise<T[]> {
    const out: T[] = [];
    let page: string | null | undefined;
    const max = options.max ?? Number.POSITIVE_INFINITY;
    do {
      const result = await this.get<{ data: T[]; next_page: string | null }>(path, { ...query, page }, options.signal);
      out.push(...result.data);
      page = result.next_page;
    } while (page && out.length < max);
    return out;
  }
}
