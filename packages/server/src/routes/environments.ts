import { EnvironmentCreateParams, EnvironmentUpdateParams, PlainQuery, ResourceListQuery } from '@longhand/protocol';
import type { Runtime } from '@longhand/runtime';
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { readBody, readQuery } from '../request.js';

/** `/v1/environments` (spec 2.2). */
export function environmentRoutes(runtime: Runtime): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { environments } = runtime;

  app.post('/', async (c) => c.json(await environments.create(c.get('caller'), await readBody(c, EnvironmentCreateParams))));
  app.get('/', async (c) => c.json(await environments.list(c.get('caller'), readQuery(c, ResourceListQuery))));
  app.get('/:id', async (c) => {
    readQuery(c, PlainQuery);
    return c.json(await environments.retrieve(c.get('caller'), c.req.param('id')));
  });
  app.post('/:id', async (c) =>
    c.json(await environments.update(c.get('caller'), c.req.param('id'), await readBody(c, EnvironmentUpdateParams))),
  );
  app.post('/:id/archive', async (c) => c.json(await environments.archive(c.get('caller'), c.req.param('id'))));
  app.delete('/:id', async (c) => c.json(await environments.delete(c.get('caller'), c.req.param('id'))));
  return app;
}
