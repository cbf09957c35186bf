import { invalidRequest } from './errors.js';

/**
 * An opaque page cursor. It carries the sort key of the last item served and the order it was
 * made under, so a cursor reused with another order is refused instead of skipping items.
 */
export interface Cursor {
  /** Sort position: a sequence number, or `[created_at, id]` for resources. */
  after: number | [string, string];
  order: 'asc' | 'desc';
  /** Direction: `next` continues forward; `prev` walks back towards the first page. */
  dir: 'next' | 'prev';
}

/** Encodes a cursor as URL-safe base64 of its JSON. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.after, cursor.order, cursor.dir])).toString('base64url');
}

/** Decodes a cursor made by `encodeCursor`; a malformed one is a 400 naming the `page` parameter. */
export function decodeCursor(value: string, order: 'asc' | 'desc'): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw invalidRequest('page is not a valid page cursor');
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw invalidRequest('page is not a valid page cursor');
  const [after, cursorOrder, dir] = parsed as unknown[];
  const validAfter =
    (typeof after === 'number' && Number.isSafeInteger(after)) ||
    (Array.isArray(after) && after.length === 2 && after.every((part) => typeof part === 'string'));
  if (!validAfter || (dir !== 'next' && dir !== 'prev') || (cursorOrder !== 'asc' && cursorOrder !== 'desc')) {
    throw invalidRequest('page is not a valid page cursor');
  }
  if (cursorOrder !== order) throw invalidRequest(`page was made for order=${cursorOrder} and cannot be used with order=${order}`);
  return { after: after as Cursor['after'], order, dir };
}
