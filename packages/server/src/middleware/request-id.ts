import { newId } from '@longhand/protocol';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.js';

/** Gives every request a `req_` id, returned in the `request-id` header of every response. */
export function requestId(): MiddlewareHandler<AppEnv> {
  return async function requestIdMiddleware(c, next) {
    const id = newId('request');
    c.set('requestId', id);
    await next();
    c.res.headers.set('request-id', id);
  };
}
