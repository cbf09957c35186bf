import Anthropic from '@anthropic-ai/sdk';

/** Where the API is and how to authenticate, from flags first, then the environment. */
export interface ClientFlags {
  url?: string | undefined;
  key?: string | undefined;
}

function target(flags: ClientFlags): { baseURL: string; apiKey: string } {
  const baseURL = flags.url ?? process.env.LONGHAND_URL ?? `http://127.0.0.1:${process.env.LONGHAND_PORT ?? 4680}`;
  const apiKey = flags.key ?? process.env.LONGHAND_KEY ?? process.env.LONGHAND_API_KEY;
  if (!apiKey) throw new Error('no API key: pass --key, or set LONGHAND_KEY (make one with `longhand keys create`)');
  return { baseURL: baseURL.replace(/\/$/, ''), apiKey };
}

/** An SDK client for a Longhand server. */
export function clientFrom(flags: ClientFlags): Anthropic {
  return new Anthropic({ ...target(flags), maxRetries: 2 });
}

/**
 * A raw request to the server, for the Longhand extensions the SDK has no methods for (and for
 * streaming archives in and out). Fails with the API's own error message.
 */
export async function request(flags: ClientFlags, method: string, path: string, init: { body?: ReadableStream<Uint8Array>; json?: unknown; query?: Record<string, string> } = {}): Promise<Response> {
  const { baseURL, apiKey } = target(flags);
  const query = init.query ? `?${new URLSearchParams(init.query).toString()}` : '';
  const response = await fetch(`${baseURL}${path}${query}`, {
    method,
    headers: { 'x-api-key': apiKey, ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}), ...(init.body ? { 'content-type': 'application/x-tar' } : {}) },
    body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
    ...(init.body ? { duplex: 'half' } : {}),
  } as RequestInit);
  if (!response.ok) {
    const text = await response.text();
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
    } catch {
      // not JSON
    }
    throw new Error(`${response.status}: ${message}`);
  }
  return response;
}

export const CLIENT_OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
} as const;
