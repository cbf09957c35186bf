/** Why an egress attempt did not happen or did not finish. */
export type EgressErrorCode =
  /** The network policy forbids the destination; `message` is the reason. */
  | 'denied'
  /** The URL or `host:port` target cannot be parsed, or uses an unsupported scheme. */
  | 'invalid_target'
  /** A network policy config is malformed (an unusable `allowed_hosts` entry). */
  | 'invalid_policy'
  /** The name did not resolve, or the resolver failed. */
  | 'dns_failed'
  /** No checked address accepted a connection, or TLS failed. */
  | 'connect_failed'
  /** A time limit ran out. */
  | 'timeout'
  /** More redirects than allowed. */
  | 'too_many_redirects'
  /** The upstream broke the exchange (reset mid-response, malformed response). */
  | 'upstream_failed'
  /** The caller aborted. */
  | 'aborted';

const RETRYABLE: ReadonlySet<EgressErrorCode> = new Set(['dns_failed', 'connect_failed', 'timeout', 'upstream_failed']);

/**
 * A local error of the egress layer, with a code and whether a retry may help. Denials are
 * never retryable: the same request gets the same answer.
 */
export class EgressError extends Error {
  /** Whether trying again later may succeed. */
  readonly retryable: boolean;

  constructor(
    /** What went wrong; see `EgressErrorCode`. */
    readonly code: EgressErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EgressError';
    this.retryable = RETRYABLE.has(code);
  }
}
