/**
 * A real HTTP server on 127.0.0.1 for the web tools' tests, and a fetcher over the global fetch
 * that honours `maxBytes` the way the deployment's policy-checked fetcher must.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Fetcher } from '../../src/index.js';

export interface LocalServer {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

/** Starts a server on a free loopback port that answers with `handler`. */
export async function startServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<LocalServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Reads at most `maxBytes` of the body, following redirects, with no address policy (loopback tests only). */
export const loopbackFetcher: Fetcher = async (url, { signal, maxBytes }) => {
  const response = await fetch(url, { signal, redirect: 'follow' });
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  while (reader && size < maxBytes) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value.subarray(0, maxBytes - size));
    size += Math.min(value.length, maxBytes - size);
  }
  await reader?.cancel();
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return { status: response.status, contentType: response.headers.get('content-type'), body, finalUrl: response.url };
};
