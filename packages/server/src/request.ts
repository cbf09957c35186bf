import { invalidRequest, LonghandError, parse } from '@longhand/protocol';
import type { Context } from 'hono';
import type { z } from 'zod';

/**
 * Turns a query string into an object for validation (spec 1.4): `key[]=a&key[]=b` and
 * repeated keys become arrays; names in `arrayKeys` are arrays even when given once; bracketed
 * scalar names such as `created_at[gte]` stay literal; an empty value means "absent".
 */
export function queryObject(url: string, arrayKeys: ReadonlySet<string>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const params = new URL(url).searchParams;
  for (const [rawKey, value] of params) {
    if (value === '') continue;
    const indexed = /^(.+)\[(\d*)\]$/.exec(rawKey);
    const key = indexed ? indexed[1]! : rawKey;
    const isArray = Boolean(indexed) || arrayKeys.has(key);
    const current = out[key];
    if (isArray || current !== undefined) {
      out[key] = current === undefined ? [value] : Array.isArray(current) ? [...current, value] : [current, value];
    } else out[key] = value;
  }
  return out;
}

/** Validates the query string against `schema`; errors name the parameter. */
export function readQuery<S extends z.ZodType>(c: Context, schema: S, arrayKeys: readonly string[] = []): z.output<S> {
  return parse(schema, queryObject(c.req.url, new Set(arrayKeys)), 'query');
}

/**
 * Deepest nesting of objects and arrays a JSON body may have. No field of the API needs more;
 * values deeper than this would overflow the stack of whatever walks them recursively later
 * (validation, `JSON.stringify` when storing), turning a bad request into a 500.
 */
export const MAX_JSON_DEPTH = 128;

/** The nesting depth of a JSON text, counted without parsing it (and without recursion). */
function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c) i += 1; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x7b || char === 0x5b) {
      depth += 1;
      if (depth > deepest) deepest = depth;
    } else if (char === 0x7d || char === 0x5d) depth -= 1;
  }
  return deepest;
}

/** Reads a JSON body. A missing body is `undefined`; malformed or too deeply nested JSON is a 400. */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return undefined;
  const type = c.req.header('content-type');
  if (type && !/json/i.test(type)) {
    throw new LonghandError('unsupported_media_type', `Content-Type must be application/json, not ${type}`);
  }
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw invalidRequest(`body is nested more than ${MAX_JSON_DEPTH} levels deep`);
  try {
    return JSON.parse(text);
  } catch {
    throw invalidRequest('body is not valid JSON');
  }
}

/** Reads and validates a JSON body against `schema`. */
export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const body = await readJson(c);
  return parse(schema, body === undefined ? {} : body);
}
