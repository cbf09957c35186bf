/**
 * The proxy's own answers (errors and refusals), one shape for `CONNECT` (written raw on the socket)
 * and for forwarded requests. The reason goes in the body, which `curl` and most libraries show,
 * and in a `Proxy-Status` header (RFC 9209), which survives clients that hide a CONNECT body.
 */
import type { ServerResponse } from 'node:http';
import type { EgressErrorCode } from './errors.js';

/** A refusal or failure the proxy reports instead of a response from the destination. */
export interface ProxyAnswer {
  /** HTTP status: 400, 403, 502, 503 or 504. */
  readonly status: number;
  /** One line for the client, already explaining the cause. */
  readonly message: string;
  /** The RFC 9209 error type for `Proxy-Status`, when one applies. */
  readonly proxyError?: string;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  403: 'Forbidden',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const BY_CODE: Readonly<Record<EgressErrorCode, { status: number; proxyError?: string }>> = {
  denied: { status: 403, proxyError: 'http_request_denied' },
  invalid_target: { status: 400, proxyError: 'http_request_error' },
  invalid_policy: { status: 503, proxyError: 'proxy_configuration_error' },
  dns_failed: { status: 502, proxyError: 'dns_error' },
  connect_failed: { status: 502, proxyError: 'destination_unavailable' },
  timeout: { status: 504, proxyError: 'connection_timeout' },
  too_many_redirects: { status: 502 },
  upstream_failed: { status: 502, proxyError: 'http_response_incomplete' },
  aborted: { status: 502 },
};

/** The answer for an egress error. */
export function answerFor(code: EgressErrorCode, reason: string): ProxyAnswer {
  const { status, proxyError } = BY_CODE[code];
  const prefix = code === 'denied' ? 'egress denied by the network policy: ' : '';
  return proxyError ? { status, message: `${prefix}${reason}`, proxyError } : { status, message: `${prefix}${reason}` };
}

/** The answer's headers (without framing), the same for both write paths. */
function answerHeaders(answer: ProxyAnswer, body: Buffer): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(body.length),
    connection: 'close',
  };
  if (answer.proxyError) {
    headers['proxy-status'] = `longhand-egress; error=${answer.proxyError}; details=${quote(answer.message)}`;
  }
  return headers;
}

/** The whole answer as raw HTTP/1.1 bytes, for a socket that no longer has an HTTP parser (CONNECT). */
export function rawAnswer(answer: ProxyAnswer): string {
  const body = Buffer.from(`Longhand egress proxy: ${answer.message}\n`);
  const lines = [`HTTP/1.1 ${answer.status} ${STATUS_TEXT[answer.status] ?? 'Error'}`];
  for (const [name, value] of Object.entries(answerHeaders(answer, body))) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n${body.toString()}`;
}

/** Sends the answer on a response that has not started; destroys it if it has. */
export function sendAnswer(res: ServerResponse, answer: ProxyAnswer): void {
  if (res.destroyed) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = Buffer.from(`Longhand egress proxy: ${answer.message}\n`);
  res.writeHead(answer.status, answerHeaders(answer, body));
  res.end(body);
}

/** An RFC 8941 sf-string: printable ASCII only, with `"` and `\` escaped. */
function quote(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return `"${printable.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}
