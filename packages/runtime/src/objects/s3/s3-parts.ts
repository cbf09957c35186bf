import type { ObjectBody } from '../object-store.js';

/**
 * A body cut into parts of `size` bytes (the last one shorter; none for an empty body). A stream
 * is buffered one part at a time, so that each part can be hashed for its signature and sent
 * again on a retry, with memory bounded by the part size.
 */
export async function* inParts(body: ObjectBody, size: number): AsyncIterable<Uint8Array> {
  if (body instanceof Uint8Array) {
    for (let offset = 0; offset < body.byteLength; offset += size) yield body.subarray(offset, Math.min(offset + size, body.byteLength));
    return;
  }
  let pending: Uint8Array[] = [];
  let length = 0;
  for await (const raw of body as AsyncIterable<Uint8Array | string>) {
    let chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    while (chunk.byteLength > 0) {
      const take = Math.min(size - length, chunk.byteLength);
      pending.push(chunk.subarray(0, take));
      length += take;
      chunk = chunk.subarray(take);
      if (length === size) {
        yield Buffer.concat(pending, length);
        pending = [];
        length = 0;
      }
    }
  }
  if (length > 0) yield Buffer.concat(pending, length);
}
