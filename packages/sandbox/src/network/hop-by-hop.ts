/**
 * Headers that describe one connection rather than the message (RFC 9110 §7.6.1), plus every
 * `Proxy-*` header: a forwarding proxy must not pass them on. `Proxy-Authorization` in particular
 * would hand whatever the sandbox put there to the destination.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // Not hop-by-hop by the RFC, but the proxy already answered it (Node sends `100 Continue`).
  'expect',
]);

/**
 * A copy of `headers` without hop-by-hop headers, without `Proxy-*` headers, and without any
 * header the `Connection` header names. Names come back lower-case.
 * @example stripHopByHop({ connection: 'close, x-trace', 'x-trace': '1', accept: '*\/*' }) // { accept: '*\/*' }
 */
export function stripHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== ''),
  );
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(lower) || named.has(lower) || lower.startsWith('proxy-')) continue;
    out[lower] = value;
  }
  return out;
}
