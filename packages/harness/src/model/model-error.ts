/**
 * Why a model request failed, as the harness needs to know it:
 * - `rate_limited`, `overloaded`, `server`, `timeout`, `connection`, `stream_cut`: retry later;
 * - `invalid_request`, `authentication`, `permission`, `billing`, `not_found`: retrying cannot help.
 */
export type ModelErrorKind =
  | 'rate_limited'
  | 'overloaded'
  | 'server'
  | 'timeout'
  | 'connection'
  | 'stream_cut'
  | 'invalid_request'
  | 'authentication'
  | 'permission'
  | 'billing'
  | 'not_found';

const RETRYABLE: ReadonlySet<ModelErrorKind> = new Set(['rate_limited', 'overloaded', 'server', 'timeout', 'connection', 'stream_cut']);

/** A failed model request, classified. */
export class ModelError extends Error {
  readonly retryable: boolean;
  constructor(
    readonly kind: ModelErrorKind,
    message: string,
    /** The provider's suggested wait before retrying, when it gave one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ModelError';
    this.retryable = RETRYABLE.has(kind);
  }
}

/** Maps an HTTP status from a model provider to an error kind. */
export function kindOfStatus(status: number): ModelErrorKind {
  if (status === 429) return 'rate_limited';
  if (status === 529 || status === 503) return 'overloaded';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 401) return 'authentication';
  if (status === 403) return 'permission';
  if (status === 402) return 'billing';
  if (status === 404) return 'not_found';
  if (status >= 500) return 'server';
  return 'invalid_request';
}

/** Parses `retry-after-ms` / `retry-after` headers into milliseconds. */
export function retryAfterMs(headers: Headers | undefined): number | undefined {
  if (!headers) return undefined;
  const ms = Number(headers.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const after = headers.get('retry-after');
  if (!after) return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
