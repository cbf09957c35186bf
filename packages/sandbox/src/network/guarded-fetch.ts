/**
 * A policy-checked fetch for the server-side `web_fetch` tool. It runs on the host, so it must not
 * become the way around the sandbox's network policy: every hop (the URL and each redirect) goes
 * through the same checks as the egress proxy, resolves once, and connects to the checked address,
 * while TLS still verifies the certificate for the name and `Host` still carries the name.
 */
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { EgressError } from './errors.js';
import { stripHopByHop } from './hop-by-hop.js';
import { parseIpLiteral } from './ip-literal.js';
import { connectPinned } from './pinned-connect.js';
import type { NetworkPolicy } from './policy.js';
import { abortError, resolveEgress, type EgressTarget, type Resolver } from './resolve.js';

/** How `guardedFetch` fetches. */
export interface GuardedFetchOptions {
  /** The environment's network policy, applied at every hop. */
  readonly policy: NetworkPolicy;
  /** Name resolution (default: the host's resolver). */
  readonly resolver?: Resolver;
  /** `GET` (default) or `HEAD`. */
  readonly method?: 'GET' | 'HEAD';
  /** Request headers. `Authorization` and `Cookie` are dropped when a redirect leaves the origin. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Redirects followed before giving up. Default 5. */
  readonly maxRedirects?: number;
  /** Body bytes kept (after decoding); the rest is not read and `truncated` is set. Default 10 MiB. */
  readonly maxBytes?: number;
  /** Limit for the whole fetch, redirects included. Default 30 s. */
  readonly timeoutMs?: number;
  /** Aborts the fetch. */
  readonly signal?: AbortSignal;
  /** Trust roots for https instead of the built-in ones (private CAs, tests). */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
}

/** The final response. */
export interface GuardedFetchResponse {
  /** The URL that answered (after redirects). */
  readonly url: string;
  /** HTTP status of the final response. */
  readonly status: number;
  /** Its reason phrase. */
  readonly statusText: string;
  /** Its headers, lower-case; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body, decoded if the server compressed it anyway, at most `maxBytes`. */
  readonly body: Uint8Array;
  /** Whether the body was cut at `maxBytes`. */
  readonly truncated: boolean;
  /** Every URL redirected to, in order. */
  readonly redirects: readonly string[];
  /** The address the final response came from (one the policy checked). */
  readonly address: string;
}

const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * Fetches an http(s) URL under a network policy.
 * @throws EgressError `denied` (with the policy's reason, at whichever hop), `invalid_target`,
 *   `dns_failed`, `connect_failed`, `timeout`, `too_many_redirects`, `upstream_failed`, `aborted`.
 * @example const page = await guardedFetch('https://docs.example.com/', { policy });
 */
export async function guardedFetch(input: string | URL, options: GuardedFetchOptions): Promise<GuardedFetchResponse> {
  const maxRedirects = options.maxRedirects ?? 5;
  const maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 30_000;
  // One signal for the whole fetch, detached from the caller's when done.
  const stop = new AbortController();
  const onCallerAbort = (): void => stop.abort(new EgressError('aborted', 'the fetch was aborted'));
  const timer = setTimeout(() => stop.abort(new EgressError('timeout', `the fetch took longer than ${timeoutMs} ms`)), timeoutMs);
  if (options.signal?.aborted) onCallerAbort();
  options.signal?.addEventListener('abort', onCallerAbort, { once: true });
  try {
    return await fetchFollowingRedirects(input, options, { maxRedirects, maxBytes, signal: stop.signal });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onCallerAbort);
  }
}

async function fetchFollowingRedirects(
  input: string | URL,
  options: GuardedFetchOptions,
  limits: { maxRedirects: number; maxBytes: number; signal: AbortSignal },
): Promise<GuardedFetchResponse> {
  const { maxRedirects, maxBytes, signal } = limits;
  const method = options.method ?? 'GET';
  let headers = stripHopByHop(options.headers ?? {});
  let url = parseFetchUrl(String(input));
  const redirects: string[] = [];
  for (;;) {
    const { incoming, address } = await fetchOnce(url, method, headers, options, signal);
    const location = incoming.headers.location;
    if (REDIRECTS.has(incoming.statusCode ?? 0) && location !== undefined) {
      incoming.destroy();
      if (redirects.length >= maxRedirects) throw new EgressError('too_many_redirects', `more than ${maxRedirects} redirects, last to ${location}`);
      const next = parseFetchUrl(location, url);
      if (next.origin !== url.origin) headers = withoutCredentials(headers);
      redirects.push(next.href);
      url = next;
      continue;
    }
    const { body, truncated } = await readBody(incoming, method === 'HEAD' ? 0 : maxBytes, signal);
    return {
      url: url.href,
      status: incoming.statusCode ?? 0,
      statusText: incoming.statusMessage ?? '',
      headers: flattenHeaders(incoming.headers),
      body,
      truncated,
      redirects,
      address,
    };
  }
}

/** One hop: check, resolve, connect to the checked address, speak HTTP/1.1 (over TLS for https). */
async function fetchOnce(
  url: URL,
  method: string,
  headers: OutgoingHttpHeaders,
  options: GuardedFetchOptions,
  signal: AbortSignal,
): Promise<{ incoming: IncomingMessage; address: string }> {
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const target = await resolveEgress(options.policy, url.hostname, port, { resolver: options.resolver, signal });
  const socket = await connectPinned(target, { signal });
  // Failures surface through whatever reads the socket (TLS, the HTTP client); this only keeps
  // an error from going unhandled in between.
  socket.on('error', () => socket.destroy());
  const address = socket.remoteAddress ?? '';
  let stream: Duplex = socket;
  try {
    if (url.protocol === 'https:') stream = await startTls(socket, target, options.ca, signal);
  } catch (error) {
    socket.destroy();
    throw error;
  }
  return new Promise((resolve, reject) => {
    const outbound = httpRequest({
      createConnection: () => stream as Socket,
      method,
      path: `${url.pathname}${url.search}`,
      headers: { ...headers, host: url.host, connection: 'close', 'accept-encoding': 'identity' },
      setHost: false,
      signal,
    });
    outbound.on('response', (incoming) => resolve({ incoming, address }));
    outbound.on('error', (error) => {
      stream.destroy();
      reject(signal.aborted ? abortError(signal) : new EgressError('upstream_failed', `${url.host} broke the exchange (${describe(error)})`, { cause: error }));
    });
    outbound.end();
  });
}

/** TLS on the pinned socket: SNI and certificate checks use the name, never the address. */
function startTls(socket: Socket, target: EgressTarget, ca: GuardedFetchOptions['ca'], signal: AbortSignal): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const isLiteral = parseIpLiteral(target.host) !== undefined;
    const secure = tlsConnect({
      socket,
      host: target.host,
      // SNI must not carry an IP address (RFC 6066 §3).
      ...(isLiteral ? {} : { servername: target.host }),
      ...(ca === undefined ? {} : { ca: ca as string | Buffer | Array<string | Buffer> }),
      ALPNProtocols: ['http/1.1'],
    });
    const onAbort = (): void => {
      secure.destroy();
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    secure.once('secureConnect', () => {
      signal.removeEventListener('abort', onAbort);
      resolve(secure);
    });
    secure.once('error', (error) => {
      signal.removeEventListener('abort', onAbort);
      secure.destroy();
      reject(new EgressError('connect_failed', `TLS with ${target.host} failed (${describe(error)})`, { cause: error }));
    });
  });
}

/** Reads at most `maxBytes` of the (decoded) body, then stops reading and closes the connection. */
async function readBody(incoming: IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<{ body: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let total = 0;
  let truncated = false;
  try {
    for await (const chunk of decoded(incoming) as AsyncIterable<Buffer>) {
      if (total + chunk.length > maxBytes) {
        chunks.push(chunk.subarray(0, maxBytes - total));
        total = maxBytes;
        truncated = true;
        break;
      }
      chunks.push(chunk);
      total += chunk.length;
    }
  } catch (error) {
    throw signal.aborted ? abortError(signal) : new EgressError('upstream_failed', `the response body broke off (${describe(error)})`, { cause: error });
  } finally {
    incoming.destroy();
  }
  return { body: Buffer.concat(chunks, total), truncated };
}

/** We ask for `identity`; a server that compresses anyway is decoded, so the limit counts real bytes. */
function decoded(incoming: IncomingMessage): Readable {
  const encoding = String(incoming.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : encoding === 'br' ? createBrotliDecompress() : undefined;
  if (!decoder) return incoming;
  return pipeline(incoming, decoder, () => {
    // Errors surface through the decoder the caller iterates.
  });
}

/** An absolute http(s) URL without credentials, resolved against `base` for redirects. */
function parseFetchUrl(text: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw new EgressError('invalid_target', `${JSON.stringify(text)} is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EgressError('invalid_target', `only http and https URLs can be fetched, not ${url.protocol}${base ? ` (redirected from ${base.href})` : ''}`);
  }
  if (url.username !== '' || url.password !== '') throw new EgressError('invalid_target', 'URLs with credentials are not fetched');
  url.hash = '';
  return url;
}

function withoutCredentials(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const { authorization: _authorization, cookie: _cookie, ...rest } = headers;
  return rest;
}

function flattenHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}
