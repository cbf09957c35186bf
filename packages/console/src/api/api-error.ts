/**
 * Failures of calls to the Longhand API, as the console shows them. The server answers every
 * error with the envelope `{type:'error', error:{type, message}, request_id}` (spec 1.7); a
 * request that never got an answer is a `NetworkError`.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    /** HTTP status; 401 means the key was not accepted. */
    readonly status: number,
    /** The envelope's `error.type`, such as `invalid_request_error`. */
    readonly type: string,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
  }

  get unauthorized(): boolean {
    return this.status === 401;
  }

  get notFound(): boolean {
    return this.status === 404;
  }
}

/** The request did not reach the server, or its answer did not arrive (server down, network gone). */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
}

/** Reads an error envelope from a failed response; falls back to the raw text. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  let type = 'api_error';
  let message = text || `${response.status} ${response.statusText}`;
  try {
    const body = JSON.parse(text) as { error?: { type?: string; message?: string }; request_id?: string };
    if (body.error?.message) message = body.error.message;
    if (body.error?.type) type = body.error.type;
    return new ApiError(response.status, type, message, body.request_id ?? response.headers.get('request-id') ?? undefined);
  } catch {
    return new ApiError(response.status, type, message, response.headers.get('request-id') ?? undefined);
  }
}

/** A sentence for any failure, for places that show one line. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.unauthorized) return 'The API key was not accepted (401). Sign in again with a valid key.';
    return error.message;
  }
  if (error instanceof NetworkError) return 'Could not reach the Longhand server. Is it running?';
  if (error instanceof Error) return error.message;
  return String(error);
}
