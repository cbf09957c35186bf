import { LonghandError } from '@longhand/protocol';
import type { Runtime } from '@longhand/runtime';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { consoleHandler, type ConsoleOptions } from './console.js';
import type { AppEnv } from './env.js';
import { errorResponse } from './errors.js';
import { authenticate } from './middleware/auth.js';
import { requestId } from './middleware/request-id.js';
import { agentRoutes } from './routes/agents.js';
import { environmentRoutes } from './routes/environments.js';
import { fileRoutes } from './routes/files.js';
import { sessionRoutes } from './routes/sessions.js';
import { workspaceRoutes } from './routes/workspace.js';
import { branchingRoutes } from './routes/branching.js';

export interface AppOptions {
  /** Serve the API under this path prefix as well as at the root (spec 1.1). */
  basePath?: string;
  /** Largest JSON body, in bytes. */
  maxJsonBytes?: number;
  heartbeatMs?: number;
  maxStreamBufferBytes?: number;
  log?: (message: string) => void;
  /** The web console served at `/` (default: the build in `packages/console/dist`); `false` serves none. */
  console?: ConsoleOptions | false;
}

/**
 * The HTTP API as a Web-standard app: `app.fetch(Request) → Response`. Nothing here listens on
 * a socket (see `listen.ts`), so tests can call `app.request()` directly.
 */
export function createApp(runtime: Runtime, options: AppOptions = {}): Hono<AppEnv> {
  const maxJson = options.maxJsonBytes ?? 32 * 1024 * 1024;
  const maxFile = runtime.config.maxFileBytes ?? 512 * 1024 * 1024;
  const api = new Hono<AppEnv>({ strict: false });

  api.use('*', requestId());
  api.onError((error, c) => errorResponse(error, c.get('requestId') ?? 'req_unknown', options.log));
  // Paths no API route takes may be pages of the web console; API paths keep their JSON 404.
  const serveConsole = options.console === false ? undefined : consoleHandler(options.console);
  api.notFound(async (c) =>
    (await serveConsole?.(c.req.raw)) ??
    errorResponse(new LonghandError('not_found', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`), c.get('requestId')),
  );
  api.get('/health', (c) => c.json({ status: 'ok' }));
  api.use('/v1/*', authenticate(runtime));
  const tooLarge = () => {
    throw new LonghandError('request_too_large', 'the request body is too large');
  };
  api.use('/v1/files', bodyLimit({ maxSize: maxFile + 1024 * 1024, onError: tooLarge }));
  api.use('/v1/*', async (c, next) => {
    const path = new URL(c.req.url).pathname.replace(/\/$/, '');
    // Uploads and session archives stream large bodies; they have limits of their own.
    if (path.endsWith('/v1/files') || path.endsWith('/v1/sessions/import')) return next();
    return bodyLimit({ maxSize: maxJson, onError: tooLarge })(c, next);
  });

  api.route('/v1/agents', agentRoutes(runtime));
  api.route('/v1/environments', environmentRoutes(runtime));
  api.route('/v1/files', fileRoutes(runtime));
  api.route('/v1/sessions', workspaceRoutes(runtime));
  api.route('/v1/sessions', branchingRoutes(runtime));
  api.route('/v1/sessions', sessionRoutes(runtime, {
    heartbeatMs: options.heartbeatMs ?? 15_000,
    maxBufferedBytes: options.maxStreamBufferBytes ?? 16 * 1024 * 1024,
  }));

  if (!options.basePath) return api;
  const root = new Hono<AppEnv>({ strict: false });
  root.route(options.basePath.replace(/\/$/, ''), api);
  root.route('/', api);
  return root;
}
