export { createApp } from './app.js';
export type { AppOptions } from './app.js';
export { listen } from './listen.js';
export type { Listening } from './listen.js';
export { errorResponse } from './errors.js';
export { queryObject } from './request.js';
export type { AppEnv } from './env.js';
