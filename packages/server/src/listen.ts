import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import type { AppEnv } from './env.js';

export interface Listening {
  url: string;
  port: number;
  /** Stops accepting connections and ends open ones (streams included). */
  close(): Promise<void>;
}

/** The one place Longhand opens a socket. Port 0 picks a free port. */
export function listen(app: Hono<AppEnv>, options: { port: number; host: string }): Promise<Listening> {
  return new Promise((resolve, reject) => {
    let server: ServerType;
    const onError = (error: Error) => reject(error);
    server = serve({ fetch: app.fetch, port: options.port, hostname: options.host }, (info) => {
      server.off('error', onError);
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      resolve({
        url: `http://${host}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
    server.on('error', onError);
  });
}
