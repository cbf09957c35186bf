import { AgentVersionsQuery, CheckpointCreateParams, invalidRequest, SessionForkParams, SessionRestoreParams } from '@longhand/protocol';
import { z } from 'zod';
import type { Runtime } from '@longhand/runtime';
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { readBody, readQuery } from '../request.js';

const ImportQuery = z.strictObject({ beta: z.string().optional(), environment_id: z.string().min(1).max(128) });

/**
 * Checkpoints, forks and restores of sessions (a Longhand extension, docs/api-extensions.md),
 * under `/v1/sessions/{id}/…` beside the standard routes.
 */
export function branchingRoutes(runtime: Runtime): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { branching, sessions } = runtime;

  app.post('/:id/checkpoints', async (c) => {
    await readBody(c, CheckpointCreateParams);
    return c.json(await branching.checkpoint(c.get('caller'), c.req.param('id')));
  });
  app.get('/:id/checkpoints', async (c) => {
    const query = readQuery(c, AgentVersionsQuery);
    await sessions.retrieve(c.get('caller'), c.req.param('id'));
    return c.json(await branching.checkpoints.list(c.get('caller'), c.req.param('id'), query));
  });
  app.get('/:id/checkpoints/:checkpoint', async (c) => {
    await sessions.retrieve(c.get('caller'), c.req.param('id'));
    return c.json((await branching.checkpoints.find(c.get('caller'), c.req.param('id'), c.req.param('checkpoint'))).checkpoint);
  });
  app.post('/:id/fork', async (c) => c.json(await branching.fork(c.get('caller'), c.req.param('id'), await readBody(c, SessionForkParams))));
  app.get('/:id/export', async (c) => {
    const sessionId = c.req.param('id');
    const body = await runtime.archives.export(c.get('caller'), sessionId);
    return new Response(body, {
      headers: { 'content-type': 'application/x-tar', 'content-disposition': `attachment; filename="${sessionId}.tar"` },
    });
  });
  app.post('/import', async (c) => {
    const { environment_id: environmentId } = readQuery(c, ImportQuery);
    const body = c.req.raw.body;
    if (!body) throw invalidRequest('send the archive as the request body (Content-Type: application/x-tar)');
    return c.json(await runtime.archives.import(c.get('caller'), environmentId, body as unknown as AsyncIterable<Uint8Array>));
  });
  app.post('/:id/restore', async (c) => c.json(await branching.restore(c.get('caller'), c.req.param('id'), await readBody(c, SessionRestoreParams))));
  return app;
}
