/**
 * The one registry of error codes. Every error Longhand reports on the wire is a `LonghandError`
 * with one of these codes; the server turns it into the Anthropic error envelope in one place.
 * Codes name the situation; `status` and `type` are what the SDK maps to exception classes.
 */
export const ERROR_CODES = {
  invalid_request: { status: 400, type: 'invalid_request_error' },
  invalid_metadata: { status: 400, type: 'invalid_request_error', errorCode: 'invalid_metadata' },
  environment_archived: { status: 400, type: 'invalid_request_error', errorCode: 'environment_archived' },
  invalid_config_type_change: { status: 400, type: 'invalid_request_error', errorCode: 'invalid_config_type_change' },
  session_busy: { status: 400, type: 'invalid_request_error' },
  authentication_failed: { status: 401, type: 'authentication_error' },
  permission_denied: { status: 403, type: 'permission_error' },
  not_found: { status: 404, type: 'not_found_error' },
  environment_not_found: { status: 404, type: 'not_found_error', errorCode: 'environment_not_found' },
  file_expired: { status: 404, type: 'not_found_error', errorCode: 'file_expired' },
  method_not_allowed: { status: 405, type: 'invalid_request_error' },
  version_conflict: { status: 409, type: 'invalid_request_error' },
  name_conflict: { status: 409, type: 'invalid_request_error' },
  session_archived: { status: 409, type: 'invalid_request_error' },
  state_conflict: { status: 409, type: 'invalid_request_error' },
  heartbeat_precondition_failed: { status: 412, type: 'invalid_request_error', errorCode: 'heartbeat_precondition_failed' },
  request_too_large: { status: 413, type: 'request_too_large' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error' },
  rate_limited: { status: 429, type: 'rate_limit_error' },
  internal: { status: 500, type: 'api_error' },
  not_implemented: { status: 501, type: 'api_error' },
  unavailable: { status: 503, type: 'api_error' },
  overloaded: { status: 529, type: 'overloaded_error' },
} as const satisfies Record<string, { status: number; type: string; errorCode?: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The error envelope of the wire, exactly as the SDK's `APIError` parses it. */
export interface WireErrorBody {
  type: 'error';
  error: { type: string; message: string; details?: Record<string, unknown>; [extra: string]: unknown };
  request_id: string;
}

/** Options of a `LonghandError` beyond its code and message. */
export interface LonghandErrorOptions {
  /** Extra `error.details` fields; `error_code` is filled from the registry when it has one. */
  details?: Record<string, unknown>;
  /**
   * Whether a client may retry. When false on a status the SDK would retry (408, 409, 429, 5xx),
   * the server sends `x-should-retry: false`. Defaults: 409 → false, 429/5xx → true.
   */
  retryable?: boolean;
  /** Seconds a client should wait before retrying (`retry-after`). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/**
 * An error with a registered code. Thrown anywhere in Longhand; rendered on the wire by the
 * server's single error function. Local failures that are not about a request (a lost lease,
 * a broken sandbox) also use it so they carry `retryable`.
 */
export class LonghandError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: string;
  readonly details: Record<string, unknown> | undefined;
  readonly retryable: boolean;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: LonghandErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LonghandError';
    const spec: { status: number; type: string; errorCode?: string } = ERROR_CODES[code];
    this.code = code;
    this.status = spec.status;
    this.type = spec.type;
    const details = { ...(spec.errorCode ? { error_code: spec.errorCode } : {}), ...options.details };
    this.details = Object.keys(details).length > 0 ? details : undefined;
    this.retryable = options.retryable ?? (spec.status === 429 || spec.status >= 500);
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** True for a `LonghandError`, also across module copies. */
export function isLonghandError(value: unknown): value is LonghandError {
  return value instanceof LonghandError || (value instanceof Error && value.name === 'LonghandError' && 'code' in value);
}

/** A 400 `invalid_request_error`. */
export function invalidRequest(message: string, details?: Record<string, unknown>): LonghandError {
  return new LonghandError('invalid_request', message, details ? { details } : {});
}

/** A 404 for a resource of `kind` (such as "session") that does not exist or is not visible. */
export function notFound(kind: string, id: string): LonghandError {
  return new LonghandError('not_found', `${kind} not found: ${id}`);
}
