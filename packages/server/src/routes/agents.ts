import { AgentCreateParams, AgentRetrieveQuery, AgentUpdateParams, AgentVersionsQuery, PlainQuery, ResourceListQuery } from '@longhand/protocol';
import type { Runtime } from '@longhand/runtime';
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { readBody, readQuery } from '../request.js';

/** `/v1/agents` (spec 2.1). Agents have no delete. */
export function agentRoutes(runtime: Runtime): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { agents } = runtime;

  app.post('/', async (c) => c.json(await agents.create(c.get('caller'), await readBody(c, AgentCreateParams))));
  app.get('/', async (c) => c.json(await agents.list(c.get('caller'), readQuery(c, ResourceListQuery))));
  app.get('/:id', async (c) => {
    const { version } = readQuery(c, AgentRetrieveQuery);
    return c.json(await agents.retrieve(c.get('caller'), c.req.param('id'), version));
  });
  app.post('/:id', async (c) => c.json(await agents.update(c.get('caller'), c.req.param('id'), await readBody(c, AgentUpdateParams))));
  app.post('/:id/archive', async (c) => {
    readQuery(c, PlainQuery);
    return c.json(await agents.archive(c.get('caller'), c.req.param('id')));
  });
  app.get('/:id/versions', async (c) => c.json(await agents.versions(c.get('caller'), c.req.param('id'), readQuery(c, AgentVersionsQuery))));
  return app;
}
