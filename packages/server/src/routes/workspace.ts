import { LonghandError, WorkspacePathQuery } from '@longhand/protocol';
import type { Runtime } from '@longhand/runtime';
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { readQuery } from '../request.js';

const MIME: Record<string, string> = {
  txt: 'text/plain; charset=utf-8', md: 'text/markdown; charset=utf-8', json: 'application/json', js: 'text/javascript; charset=utf-8',
  ts: 'text/plain; charset=utf-8', py: 'text/plain; charset=utf-8', html: 'text/html; charset=utf-8', css: 'text/css; charset=utf-8',
  csv: 'text/csv; charset=utf-8', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
  svg: 'image/svg+xml', pdf: 'application/pdf',
};

function mimeOf(path: string): string {
  return MIME[path.split('.').pop()?.toLowerCase() ?? ''] ?? 'application/octet-stream';
}

/**
 * `/v1/sessions/{id}/workspace/files` (a Longhand extension, docs/api-extensions.md): read-only
 * listing and download of a session's files, without starting its sandbox.
 */
export function workspaceRoutes(runtime: Runtime): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const browser = () => {
    if (!runtime.workspaces) throw new LonghandError('not_found', 'this server keeps no session workspaces (it runs no sandboxes)');
    return runtime.workspaces;
  };

  app.get('/:id/workspace/files', async (c) => {
    const { path } = readQuery(c, WorkspacePathQuery);
    const session = await runtime.sessions.retrieve(c.get('caller'), c.req.param('id'));
    const data = await browser().list(session.id, path ?? '/workspace');
    return c.json({ data, next_page: null });
  });

  app.get('/:id/workspace/files/content', async (c) => {
    const { path } = readQuery(c, WorkspacePathQuery);
    const session = await runtime.sessions.retrieve(c.get('caller'), c.req.param('id'));
    const file = await browser().read(session.id, path ?? '');
    const name = file.path.split('/').pop() ?? 'file';
    return new Response(file.body, {
      headers: {
        'content-type': mimeOf(file.path),
        'content-length': String(file.size),
        'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}`,
        // Served from the API origin: never let a file render as an active page.
        'content-security-policy': "default-src 'none'; sandbox",
        'x-content-type-options': 'nosniff',
      },
    });
  });
  return app;
}
