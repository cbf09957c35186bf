/**
 * Servers the egress tests aim at. A trap is a server no attack may ever reach: it counts every
 * TCP connection it accepts (before any byte is read, so even a connection that sends nothing is
 * seen) and answers HTTP with a secret, so a leak is visible both in its count and in the output.
 * The public server is the allowed destination that must work, proving the network is not simply
 * broken.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** A listening server that records what reached it. */
export interface Recorder {
  /** Where it listens, as `host:port` (IPv6 in brackets). */
  readonly address: string;
  readonly port: number;
  /** TCP connections accepted so far. */
  readonly connections: number;
  /** HTTP requests answered so far (`METHOD url`). */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

/**
 * Serves HTTP with `handler` on an already listening `server` (from `Netns.listen`) or, when
 * `server` is a `{host, port}`, on a new socket of this process's namespace.
 */
export async function serveHttp(
  server: Server | { host: string; port: number },
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Recorder> {
  const requests: string[] = [];
  let connections = 0;
  const sockets = new Set<Socket>();
  const http = createHttpServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  const listening = 'listen' in server ? server : createNetServer();
  listening.on('connection', (socket: Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    http.emit('connection', socket);
  });
  if (!('listen' in server)) {
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(server.port, server.host, () => resolve());
    });
  }
  const info = listening.address() as AddressInfo;
  const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  return {
    address: `${host}:${info.port}`,
    port: info.port,
    get connections() {
      return connections;
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        listening.close(() => resolve());
      }),
  };
}

/** A trap: any request gets `secret` back; every connection is counted. */
export function serveTrap(server: Server | { host: string; port: number }, secret: string): Promise<Recorder> {
  return serveHttp(server, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' }).end(secret);
  });
}
