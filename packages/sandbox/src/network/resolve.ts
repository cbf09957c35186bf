/**
 * Resolution without rebinding. The egress layer resolves a name once, checks every address of
 * the answer, and hands back exactly those addresses to connect to. Nothing downstream resolves
 * the name again, so a DNS answer that changes between check and connect (DNS rebinding) cannot
 * route a connection to an address that was never checked.
 */
import { lookup } from 'node:dns/promises';
import { unmapAddress } from './address-class.js';
import { EgressError } from './errors.js';
import { formatIp, parseIpLiteral, type IpAddress } from './ip-literal.js';
import type { NetworkPolicy } from './policy.js';

/**
 * Resolves a host name to every address it has, as text (`1.2.3.4`, `2001:db8::1`). Injectable so
 * tests can map names; the signal is aborted when the caller stops waiting.
 */
export type Resolver = (name: string, signal: AbortSignal) => Promise<readonly string[]>;

/** The host's resolver (`getaddrinfo`, so /etc/hosts and nsswitch apply), all families, in its order. */
export const systemResolver: Resolver = async (name) => {
  const answers = await lookup(name, { all: true, order: 'verbatim' });
  return answers.map((answer) => answer.address);
};

/** A destination that passed the policy, pinned to the addresses that were checked. */
export interface EgressTarget {
  /** The canonical host: the lower-case name, or the formatted IP literal. Use it for SNI and `Host`. */
  readonly host: string;
  /** The destination port. */
  readonly port: number;
  /** The checked addresses, in the resolver's order; connect to these and nothing else. */
  readonly addresses: readonly IpAddress[];
  /** Why it is allowed (the policy's reason). */
  readonly reason: string;
}

/** How `resolveEgress` resolves. */
export interface ResolveOptions {
  /** Defaults to `systemResolver`. */
  readonly resolver?: Resolver;
  /** Stops waiting for the resolver (the lookup may still finish in the background). */
  readonly signal?: AbortSignal;
}

/**
 * Applies the policy to `host:port`, resolves a name once, and checks every resolved address.
 * A name is denied if *any* of its addresses is denied: clients pick among them freely, so one
 * private answer among public ones is an attack, not noise.
 * @throws EgressError `denied` with the reason, `dns_failed`, or `aborted`.
 * @example const target = await resolveEgress(policy, 'pypi.org', 443); // then connectPinned(target)
 */
export async function resolveEgress(policy: NetworkPolicy, host: string, port: number, options: ResolveOptions = {}): Promise<EgressTarget> {
  const decision = policy.checkHost(host, port);
  if (!decision.allowed) throw new EgressError('denied', decision.reason);
  const { target } = decision;
  if (target.kind === 'ip') {
    return { host: target.host, port, addresses: [unmapAddress(target.address)], reason: decision.reason };
  }
  const answers = await lookupOnce(options.resolver ?? systemResolver, target.name, options.signal);
  const addresses: IpAddress[] = [];
  for (const answer of answers) {
    const address = parseIpLiteral(answer);
    if (!address) throw new EgressError('dns_failed', `resolving ${target.name} returned ${JSON.stringify(answer)}, which is not an IP address`);
    const verdict = policy.checkAddress(target.name, address, port);
    if (!verdict.allowed) throw new EgressError('denied', verdict.reason);
    const pinned = unmapAddress(address);
    if (!addresses.some((known) => formatIp(known) === formatIp(pinned))) addresses.push(pinned);
  }
  if (addresses.length === 0) throw new EgressError('dns_failed', `${target.name} has no addresses`);
  return { host: target.host, port, addresses, reason: decision.reason };
}

async function lookupOnce(resolver: Resolver, name: string, signal: AbortSignal | undefined): Promise<readonly string[]> {
  const controller = new AbortController();
  const stop = (): void => controller.abort(signal?.reason);
  if (signal?.aborted) throw abortError(signal);
  signal?.addEventListener('abort', stop, { once: true });
  try {
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(abortError(signal)), { once: true });
    });
    return await Promise.race([resolver(name, controller.signal), aborted]);
  } catch (error) {
    if (error instanceof EgressError) throw error;
    const code = (error as { code?: unknown }).code;
    throw new EgressError('dns_failed', `could not resolve ${name}${typeof code === 'string' ? ` (${code})` : ''}`, { cause: error });
  } finally {
    signal?.removeEventListener('abort', stop);
    // Releases the race's listener and tells a well-behaved resolver to stop.
    controller.abort();
  }
}

/** The error for a signal that fired: `timeout` for `AbortSignal.timeout`, else `aborted`. */
export function abortError(signal: AbortSignal | undefined): EgressError {
  const reason: unknown = signal?.reason;
  if (reason instanceof EgressError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') return new EgressError('timeout', 'the time limit ran out', { cause: reason });
  return new EgressError('aborted', 'the request was aborted', { cause: reason });
}
