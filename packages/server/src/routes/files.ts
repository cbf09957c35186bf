import { FileListQuery, invalidRequest, isLonghandError } from '@longhand/protocol';
import type { Runtime } from '@longhand/runtime';
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { readQuery } from '../request.js';

/** `/v1/files` (spec 2.8). The list answers in both the cursor and the id-page shapes. */
export function fileRoutes(runtime: Runtime): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { files } = runtime;

  app.post('/', async (c) => {
    const type = c.req.header('content-type') ?? '';
    if (!type.startsWith('multipart/form-data')) throw invalidRequest('upload a file as multipart/form-data with a `file` field');
    const form = await c.req.parseBody().catch((error: unknown) => {
      // The form parser throws a plain error on a malformed body: that is the client's mistake, not a 500.
      if (isLonghandError(error)) throw error;
      throw invalidRequest('the body is not valid multipart/form-data');
    });
    const file = form['file'];
    if (!(file instanceof File)) throw invalidRequest('file is required: send the bytes in a multipart field named `file`');
    const expires = form['expires_in_seconds'];
    if (expires !== undefined && (typeof expires !== 'string' || !/^\d+$/.test(expires))) {
      throw invalidRequest('expires_in_seconds must be a whole number of seconds');
    }
    return c.json(
      await files.upload(c.get('caller'), {
        filename: file.name,
        mimeType: file.type || 'application/octet-stream',
        data: new Uint8Array(await file.arrayBuffer()),
        ...(expires ? { expiresInSeconds: Number(expires) } : {}),
      }),
    );
  });
  app.get('/', async (c) => {
    const query = readQuery(c, FileListQuery, ['ids']);
    const caller = c.get('caller');
    if (query.ids) {
      if (query.page || query.limit) throw invalidRequest('ids cannot be combined with page or limit');
      const data = [];
      for (const id of query.ids) {
        const file = await files.find(caller, id);
        if (file) data.push(file);
      }
      return c.json({ data, next_page: null, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
    }
    const page = await files.list(caller, { limit: query.limit, page: query.page, scope_id: query.scope_id });
    return c.json({
      ...page,
      has_more: page.next_page !== null,
      first_id: page.data[0]?.id ?? null,
      last_id: page.data.at(-1)?.id ?? null,
    });
  });
  app.get('/:id', async (c) => c.json(await files.retrieve(c.get('caller'), c.req.param('id'))));
  app.get('/:id/content', async (c) => {
    const { file, body } = await files.download(c.get('caller'), c.req.param('id'));
    return new Response(body, {
      headers: {
        'content-type': file.mime_type,
        'content-length': String(file.size_bytes),
        'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file.filename)}`,
      },
    });
  });
  app.delete('/:id', async (c) => c.json(await files.delete(c.get('caller'), c.req.param('id'))));
  return app;
}
