/**
 * Connecting to the addresses that were checked, and only to those: every attempt passes an IP
 * literal to `net.connect`, so no resolver runs between the policy decision and the connection.
 */
import { connect, type Socket } from 'node:net';
import { EgressError } from './errors.js';
import { formatIp, parseIpLiteral, type IpAddress } from './ip-literal.js';
import { abortError, type EgressTarget } from './resolve.js';

/** How `connectPinned` connects. */
export interface ConnectOptions {
  /** Gives up (destroying any half-open socket) when aborted; use `AbortSignal.timeout` for a deadline. */
  readonly signal?: AbortSignal;
}

/**
 * Opens a TCP connection to the first of the target's checked addresses that accepts, trying them
 * in order. The returned socket is connected; its remote address is one of `target.addresses`.
 * @throws EgressError `connect_failed` (every address refused or failed), `timeout` or `aborted`.
 */
export async function connectPinned(target: EgressTarget, options: ConnectOptions = {}): Promise<Socket> {
  const failures: string[] = [];
  for (const address of target.addresses) {
    if (options.signal?.aborted) throw abortError(options.signal);
    try {
      const socket = await connectOne(address, target.port, options.signal);
      assertPinned(socket, address);
      return socket;
    } catch (error) {
      if (error instanceof EgressError) throw error;
      const code = (error as { code?: unknown }).code;
      failures.push(`${formatIp(address)}: ${typeof code === 'string' ? code : String(error)}`);
    }
  }
  throw new EgressError('connect_failed', `could not connect to ${target.host}:${target.port} (${failures.join('; ')})`);
}

function connectOne(address: IpAddress, port: number, signal: AbortSignal | undefined): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: formatIp(address), port, family: address.family });
    const onAbort = (): void => {
      socket.destroy();
      settle(() => reject(abortError(signal)));
    };
    const settle = (finish: () => void): void => {
      signal?.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
      socket.removeListener('connect', onConnect);
      finish();
    };
    const onError = (error: Error): void => settle(() => reject(error));
    const onConnect = (): void => settle(() => resolve(socket));
    socket.once('error', onError);
    socket.once('connect', onConnect);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
  });
}

/** Belt and braces: refuse a socket whose peer is not the address that was checked. */
function assertPinned(socket: Socket, expected: IpAddress): void {
  const remote = socket.remoteAddress === undefined ? undefined : parseIpLiteral(socket.remoteAddress);
  if (!remote || formatIp(remote) !== formatIp(expected)) {
    socket.destroy();
    throw new EgressError('connect_failed', `connected to ${socket.remoteAddress ?? 'an unknown address'} instead of ${formatIp(expected)}`);
  }
}
