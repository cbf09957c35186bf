/**
 * The port web_fetch reaches the network through. The deployment supplies one that applies its
 * egress policy (no private, link-local or metadata addresses; the sandbox package's policy-checked
 * fetch); the tool never opens a connection by itself, so nothing here can bypass that policy.
 */

export interface FetchedResponse {
  /** HTTP status of the last response (after redirects). */
  status: number;
  /** The `Content-Type` header as received, or `null` when absent. */
  contentType: string | null;
  /** The body, at most `maxBytes` long: a fetcher stops reading (or cuts) there. */
  body: Uint8Array;
  /** The address the body came from, after redirects. */
  finalUrl: string;
}

/**
 * Fetches `url` with GET. Rejects when the address may not be reached or the request fails;
 * answers with any HTTP status otherwise. Aborting `signal` abandons the request.
 */
export type Fetcher = (url: string, options: { signal: AbortSignal; maxBytes: number }) => Promise<FetchedResponse>;
