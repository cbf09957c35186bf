import type { Runtime } from '@longhand/runtime';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.js';

/**
 * Resolves the caller from `x-api-key` or `Authorization: Bearer` (x-api-key wins when both
 * are sent) and the optional `anthropic-workspace-id` header.
 */
export function authenticate(runtime: Runtime): MiddlewareHandler<AppEnv> {
  return async function authMiddleware(c, next) {
    const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]?.trim();
    const key = c.req.header('x-api-key')?.trim() || bearer;
    const workspace = c.req.header('anthropic-workspace-id')?.trim() || undefined;
    c.set('caller', await runtime.auth.authenticate(key, workspace));
    await next();
  };
}
