/**
 * The egress proxy: an HTTP proxy on a Unix socket, one per sandbox. The sandbox has no network of
 * its own; its `HTTP_PROXY`/`HTTPS_PROXY` point at a relay to this socket, so every connection
 * it makes arrives here and is checked on the host before any packet leaves.
 *
 * - `CONNECT host:port` (HTTPS and anything else tunnelled): checked, resolved once, connected to
 *   the checked address, then bytes are spliced both ways.
 * - Absolute-form requests (`GET http://host/path`): checked the same way, then forwarded on a
 *   fresh upstream connection with hop-by-hop and `Proxy-*` headers removed.
 *
 * One proxy per sandbox, rather than one shared proxy that looks up a policy per socket, keeps the
 * policy bound to the socket by construction and lets `close()` end exactly one sandbox's traffic.
 */
import { chmod, chown, lstat, unlink } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import { EgressError, type EgressErrorCode } from './errors.js';
import { stripHopByHop } from './hop-by-hop.js';
import { connectPinned } from './pinned-connect.js';
import type { NetworkPolicy } from './policy.js';
import { answerFor, rawAnswer, sendAnswer, type ProxyAnswer } from './proxy-response.js';
import { resolveEgress, type Resolver } from './resolve.js';

/** How to start an egress proxy. */
export interface EgressProxyOptions {
  /** Where to listen. A stale socket file there is replaced; any other file is an error. */
  readonly socketPath: string;
  /** The sandbox's network policy. */
  readonly policy: NetworkPolicy;
  /** Name resolution (default: the host's resolver). */
  readonly resolver?: Resolver;
  /** Limit for resolving and connecting to one destination. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** A connection with no traffic in either direction for this long is closed. Default 120 s. */
  readonly idleTimeoutMs?: number;
  /** Client connections served at once; more are answered `503`. Default 64. */
  readonly maxConnections?: number;
  /** Permission bits of the socket file. Default `0o600` (with `socketOwner`, only the sandbox's uid). */
  readonly socketMode?: number;
  /** Owner of the socket file: the host uid/gid the sandbox runs as, so it may connect. */
  readonly socketOwner?: { readonly uid: number; readonly gid: number };
  /** Called once per request with its outcome. Must not throw (exceptions are swallowed). */
  readonly onDecision?: (entry: EgressLogEntry) => void;
}

/** One line of the decision log. */
export interface EgressLogEntry {
  /** When the outcome was known (ISO 8601). */
  readonly time: string;
  /** `CONNECT`, or the forwarded request's method. */
  readonly method: string;
  /** The host as the client wrote it. */
  readonly host: string;
  /** The destination port (0 when the target could not be parsed). */
  readonly port: number;
  /** `allowed` (connected), `denied` (by the policy) or `failed` (allowed, but DNS or connecting failed). */
  readonly outcome: 'allowed' | 'denied' | 'failed';
  /** The policy's reason, or what failed. */
  readonly reason: string;
  /** The address actually connected to, when one was. */
  readonly address?: string;
  /** The error code when not allowed. */
  readonly code?: EgressErrorCode;
}

/** A running proxy. */
export interface EgressProxy {
  /** The Unix socket it listens on. */
  readonly socketPath: string;
  /** Client connections open right now. */
  readonly activeConnections: number;
  /** Stops listening, ends every tunnel and request at once, and removes the socket file. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a proxy for one sandbox. The socket exists, with its mode and owner applied, when the
 * returned promise resolves.
 * @example const proxy = await startEgressProxy({ socketPath, policy, socketOwner: { uid, gid } });
 */
export async function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
  const maxConnections = options.maxConnections ?? 64;
  const sockets = new Set<Socket>();
  const closing = new AbortController();
  let clients = 0;

  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    if (closing.signal.aborted) socket.destroy();
  };

  const log = (entry: Omit<EgressLogEntry, 'time'>): void => {
    try {
      options.onDecision?.({ time: new Date().toISOString(), ...entry });
    } catch {
      // A broken logger must not take the sandbox's network down with it.
    }
  };

  /** Checks, resolves and connects; logs the outcome either way. */
  const open = async (method: string, host: string, port: number, client: Socket): Promise<Socket> => {
    // One signal per attempt, detached afterwards, so nothing accumulates on long-lived objects.
    const stop = new AbortController();
    const onClientClose = (): void => stop.abort(new EgressError('aborted', 'the client went away'));
    const onClosing = (): void => stop.abort(closing.signal.reason);
    const timer = setTimeout(
      () => stop.abort(new EgressError('timeout', `resolving and connecting to ${host}:${port} took longer than ${connectTimeoutMs} ms`)),
      connectTimeoutMs,
    );
    client.once('close', onClientClose);
    closing.signal.addEventListener('abort', onClosing, { once: true });
    try {
      const target = await resolveEgress(options.policy, host, port, { resolver: options.resolver, signal: stop.signal });
      const upstream = await connectPinned(target, { signal: stop.signal });
      upstream.on('error', () => upstream.destroy());
      upstream.setTimeout(idleTimeoutMs, () => upstream.destroy());
      track(upstream);
      log({ method, host, port, outcome: 'allowed', reason: target.reason, address: upstream.remoteAddress ?? '' });
      return upstream;
    } catch (error) {
      const failure = toEgressError(error);
      log({ method, host, port, outcome: failure.code === 'denied' ? 'denied' : 'failed', reason: failure.message, code: failure.code });
      throw failure;
    } finally {
      clearTimeout(timer);
      client.removeListener('close', onClientClose);
      closing.signal.removeEventListener('abort', onClosing);
    }
  };

  const http = createHttpServer({ requireHostHeader: false, requestTimeout: 0 });
  // Node applies `timeout` to each connection's inactivity and destroys it when it runs out.
  http.timeout = idleTimeoutMs;

  http.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    client.on('error', () => client.destroy());
    client.setTimeout(idleTimeoutMs, () => client.destroy());
    const target = parseAuthority(req.url ?? '');
    if (!target) {
      const answer = answerFor('invalid_target', `CONNECT needs host:port, got ${JSON.stringify(req.url)}`);
      log({ method: 'CONNECT', host: req.url ?? '', port: 0, outcome: 'denied', reason: answer.message, code: 'invalid_target' });
      client.end(rawAnswer(answer));
      return;
    }
    open('CONNECT', target.host, target.port, client).then(
      (upstream) => {
        if (client.destroyed) return void upstream.destroy();
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        splice(client, upstream, idleTimeoutMs);
      },
      (error: EgressError) => {
        if (!client.destroyed) client.end(rawAnswer(answerFor(error.code, error.message)));
      },
    );
  });

  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    res.on('error', () => res.destroy());
    const url = parseProxyUrl(req.url ?? '');
    if (!url.ok) {
      log({ method: req.method ?? '', host: '', port: 0, outcome: 'denied', reason: url.answer.message, code: 'invalid_target' });
      return sendAnswer(res, url.answer);
    }
    const port = url.value.port === '' ? 80 : Number(url.value.port);
    open(req.method ?? 'GET', url.value.hostname, port, req.socket).then(
      (upstream) => forward(req, res, url.value, upstream),
      (error: EgressError) => sendAnswer(res, answerFor(error.code, error.message)),
    );
  });

  http.on('clientError', (_error, socket: Socket) => {
    if (socket.writable) socket.end(rawAnswer(answerFor('invalid_target', 'malformed HTTP request')));
    else socket.destroy();
  });

  // Half-open like http.Server's own sockets: a client that shuts down its sending side still gets its answer.
  const server = createNetServer({ allowHalfOpen: true }, (client) => {
    client.on('error', () => client.destroy());
    track(client);
    if (clients >= maxConnections) {
      client.setTimeout(idleTimeoutMs, () => client.destroy());
      client.end(rawAnswer({ status: 503, message: `too many concurrent connections (limit ${maxConnections})` }));
      return;
    }
    clients += 1;
    client.once('close', () => (clients -= 1));
    http.emit('connection', client);
  });

  await removeStaleSocket(options.socketPath);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  try {
    await chmod(options.socketPath, options.socketMode ?? 0o600);
    if (options.socketOwner) await chown(options.socketPath, options.socketOwner.uid, options.socketOwner.gid);
  } catch (error) {
    server.close();
    throw error;
  }

  let closed: Promise<void> | undefined;
  return {
    socketPath: options.socketPath,
    get activeConnections() {
      return clients;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing.abort(new EgressError('aborted', 'the egress proxy is closing'));
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}

/** Forwards one absolute-form request on its own upstream connection and streams the response back. */
function forward(req: IncomingMessage, res: ServerResponse, url: URL, upstream: Socket): void {
  const headers = stripHopByHop(req.headers);
  // The URL's authority wins over any Host header (RFC 9112 §3.2.2).
  headers.host = url.host;
  headers.connection = 'close';
  let outbound;
  try {
    outbound = httpRequest({ createConnection: () => upstream, method: req.method, path: `${url.pathname}${url.search}`, headers, setHost: false });
  } catch (error) {
    upstream.destroy();
    return sendAnswer(res, answerFor('invalid_target', error instanceof Error ? error.message : String(error)));
  }
  outbound.on('response', (incoming) => {
    res.writeHead(incoming.statusCode ?? 502, incoming.statusMessage, stripHopByHop(incoming.headers));
    incoming.pipe(res);
    incoming.on('error', () => res.destroy());
  });
  outbound.on('error', (error) => {
    upstream.destroy();
    sendAnswer(res, answerFor('upstream_failed', `the destination broke the exchange (${(error as { code?: string }).code ?? error.message})`));
  });
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(outbound);
}

/**
 * Joins two sockets. An orderly end on one side is passed on as an end (after what is still
 * buffered for the other side has been written); an error or idleness destroys both at once.
 */
function splice(client: Socket, upstream: Socket, idleTimeoutMs: number): void {
  const abort = (): void => {
    client.destroy();
    upstream.destroy();
  };
  for (const [from, to] of [
    [client, upstream],
    [upstream, client],
  ] as const) {
    from.setTimeout(idleTimeoutMs, abort);
    from.on('error', abort);
    // Destroying `to` here would drop bytes it has not written yet: end it instead.
    from.on('close', (hadError) => (hadError ? to.destroy() : to.end()));
    from.pipe(to);
  }
}

/** `host:port` or `[v6]:port`, as in a CONNECT request line. */
function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const match = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(authority);
  if (!match) return undefined;
  return { host: match[1]!, port: Number(match[2]) };
}

/** The target of a forwarded request: absolute-form `http://` only. */
function parseProxyUrl(target: string): { ok: true; value: URL } | { ok: false; answer: ProxyAnswer } {
  const fail = (message: string) => ({ ok: false as const, answer: answerFor('invalid_target', message) });
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return fail('this is a proxy: send absolute-form requests (GET http://host/path) or CONNECT');
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return fail(`${JSON.stringify(target)} is not a valid URL`);
  }
  if (url.protocol === 'https:') return fail('use CONNECT for https:// URLs');
  if (url.protocol !== 'http:') return fail(`${url.protocol} URLs are not proxied`);
  return { ok: true, value: url };
}

async function removeStaleSocket(path: string): Promise<void> {
  const stat = await lstat(path).catch(() => undefined);
  if (!stat) return;
  if (!stat.isSocket()) throw new EgressError('invalid_target', `${path} exists and is not a socket`);
  await unlink(path);
}

function toEgressError(error: unknown): EgressError {
  if (error instanceof EgressError) return error;
  return new EgressError('connect_failed', error instanceof Error ? error.message : String(error), { cause: error });
}
