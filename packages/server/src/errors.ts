import { isLonghandError, LonghandError, type WireErrorBody } from '@longhand/protocol';

/** Statuses the SDK retries unless told `x-should-retry: false`. */
function sdkRetries(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * The one place a failure becomes a wire response: the Anthropic error envelope, the
 * `request-id` header, and retry headers. Anything that is not a `LonghandError` is a bug and
 * becomes a 500 whose details stay in the log, not on the wire.
 */
export function errorResponse(error: unknown, requestId: string, log?: (message: string) => void): Response {
  let failure: LonghandError;
  if (isLonghandError(error)) failure = error;
  else {
    log?.(`request ${requestId} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    failure = new LonghandError('internal', 'internal server error');
  }
  const body: WireErrorBody = {
    type: 'error',
    error: { type: failure.type, message: failure.message, ...(failure.details ? { details: failure.details } : {}) },
    request_id: requestId,
  };
  const headers = new Headers({ 'content-type': 'application/json', 'request-id': requestId });
  if (sdkRetries(failure.status) && !failure.retryable) headers.set('x-should-retry', 'false');
  if (failure.retryAfterSeconds !== undefined) headers.set('retry-after', String(failure.retryAfterSeconds));
  return new Response(JSON.stringify(body), { status: failure.status, headers });
}
