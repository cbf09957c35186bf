import Anthropic from '@anthropic-ai/sdk';

/** Where the API is and how to authenticate, from flags first, then the environment. */
export interface ClientFlags {
  url?: string | undefined;
  key?: string | undefined;
}

/** An SDK client for a Longhand server. */
export function clientFrom(flags: ClientFlags): Anthropic {
  const baseURL = flags.url ?? process.env.LONGHAND_URL ?? `http://127.0.0.1:${process.env.LONGHAND_PORT ?? 4680}`;
  const apiKey = flags.key ?? process.env.LONGHAND_KEY ?? process.env.LONGHAND_API_KEY;
  if (!apiKey) throw new Error('no API key: pass --key, or set LONGHAND_KEY (make one with `longhand keys create`)');
  return new Anthropic({ baseURL, apiKey, maxRetries: 2 });
}

export const CLIENT_OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
} as const;
