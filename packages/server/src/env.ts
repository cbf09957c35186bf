import type { Caller } from '@longhand/runtime';

/** Per-request values the middleware sets for route handlers. */
export interface AppEnv {
  Variables: {
    requestId: string;
    caller: Caller;
  };
}
