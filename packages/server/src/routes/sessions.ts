import {
  EventListQuery,
  EventStreamQuery,
  PlainQuery,
  SendEventsParams,
  SessionCreateParams,
  SessionListQuery,
  SessionUpdateParams,
  isoNow,
  newId,
} from '@longhand/protocol';
import type { Runtime } from '@longhand/runtime';
import type { Subscription } from '@longhand/runtime';
import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { readBody, readQuery } from '../request.js';
import { PreviewFilter } from '../preview-filter.js';
import { sharedFrame, SseStream } from '../sse.js';

export interface StreamOptions {
  heartbeatMs: number;
  maxBufferedBytes: number;
}

/** `/v1/sessions` and its events (spec 2.4, 2.5). */
export function sessionRoutes(runtime: Runtime, stream: StreamOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { sessions, events } = runtime;

  app.post('/', async (c) => c.json(await sessions.create(c.get('caller'), await readBody(c, SessionCreateParams))));
  app.get('/', async (c) => c.json(await sessions.list(c.get('caller'), readQuery(c, SessionListQuery, ['statuses']))));
  app.get('/:id', async (c) => {
    readQuery(c, PlainQuery);
    return c.json(await sessions.retrieve(c.get('caller'), c.req.param('id')));
  });
  app.post('/:id', async (c) => c.json(await sessions.update(c.get('caller'), c.req.param('id'), await readBody(c, SessionUpdateParams))));
  app.post('/:id/archive', async (c) => c.json(await sessions.archive(c.get('caller'), c.req.param('id'))));
  app.delete('/:id', async (c) => c.json(await sessions.delete(c.get('caller'), c.req.param('id'))));

  app.post('/:id/events', async (c) => {
    const params = await readBody(c, SendEventsParams);
    return c.json({ data: await events.send(c.get('caller'), c.req.param('id'), params.events) });
  });
  app.get('/:id/events', async (c) => c.json(await events.list(c.get('caller'), c.req.param('id'), readQuery(c, EventListQuery, ['types']))));

  app.get('/:id/events/stream', async (c) => {
    const { event_deltas: deltas } = readQuery(c, EventStreamQuery, ['event_deltas']);
    const sessionId = c.req.param('id');
    let subscription: Subscription | undefined;
    let unsubscribePreviews: (() => void) | undefined;
    const filter = deltas && deltas.length > 0 ? new PreviewFilter(new Set(deltas)) : undefined;
    // Answer 404 before any byte of the stream goes out.
    await sessions.retrieve(c.get('caller'), sessionId);
    const node = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
    const sse = new SseStream(
      {
        heartbeatMs: stream.heartbeatMs,
        maxBufferedBytes: stream.maxBufferedBytes,
        signal: c.req.raw.signal,
        onClose: () => {
          subscription?.close();
          unsubscribePreviews?.();
        },
        headers: { 'request-id': c.get('requestId') },
        ...(node ? { node } : {}),
      },
      RESPONSE_ALREADY_SENT,
    );
    subscription = await events.tail(
      c.get('caller'),
      sessionId,
      {
        onEvents: (batch) => {
          for (const { event } of batch) {
            sse.sendFrame(sharedFrame(event.type, event, event.id));
            filter?.delivered(event);
            if (event.type === 'session.status_terminated') {
              sse.close();
              return;
            }
          }
        },
        onDeleted: () => {
          sse.send('session.deleted', { type: 'session.deleted', id: newId('event'), processed_at: isoNow() });
          sse.close();
        },
        onError: () => {
          sse.send('error', { type: 'error', error: { type: 'api_error', message: 'the event stream failed; reconnect and list history' } });
          sse.close();
        },
      },
      c.req.header('last-event-id') || undefined,
    ).catch((error: unknown) => {
      sse.close();
      throw error;
    });
    if (filter) {
      unsubscribePreviews = runtime.previews.subscribe(sessionId, (preview) => {
        if (filter.admit(preview)) sse.send(preview.type, preview);
      });
    }
    if (sse.isClosed) {
      subscription.close();
      unsubscribePreviews?.();
    }
    return sse.response;
  });
  return app;
}
