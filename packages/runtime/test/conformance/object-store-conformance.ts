import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../src/objects/object-store.js';

/** An adapter under test; `pageSize` is what the adapter was told to list per request, if it pages. */
export interface ObjectStoreRig {
  store: ObjectStore;
  /** Keys per listing request the adapter was set up with (so the suite lists more than a page). */
  pageSize?: number;
  close(): Promise<void>;
}

/** What the server behind a rig guarantees, known before the rig opens. */
export interface ObjectStoreFacts {
  /**
   * False for a server that writes an object in place (s3rver), where two writers of different
   * bytes can interleave. Amazon S3, MinIO and the directory adapter replace atomically. Longhand
   * itself only ever writes one key concurrently with the same bytes (layers are content-addressed).
   */
  atomicReplace?: boolean;
}

async function bytesOf(stream: Readable | undefined): Promise<Buffer | undefined> {
  if (!stream) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function keysOf(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of store.list(prefix)) keys.push(object.key);
  return keys;
}

function sha(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Random bytes streamed in chunks of 64 KiB, and their digest once read to the end. */
function randomStream(size: number): { stream: Readable; digest: () => string } {
  const hash = createHash('sha256');
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      const chunk = randomBytes(Math.min(65_536, size - sent));
      sent += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

/** The behaviour every `ObjectStore` adapter shares (see the port's comment). */
export function objectStoreConformance(name: string, open: () => Promise<ObjectStoreRig>, facts: ObjectStoreFacts = {}): void {
  describe(`${name} (object store conformance)`, () => {
    let rig: ObjectStoreRig;
    let store: ObjectStore;
    beforeAll(async () => {
      rig = await open();
      store = rig.store;
    });
    afterAll(async () => {
      await rig?.close();
    });

    it('stores bytes under a key and gives them back, with their size and time', async () => {
      const data = randomBytes(1000);
      await store.put('basic/one.bin', data);
      expect(await bytesOf(await store.get('basic/one.bin'))).toEqual(data);
      const info = await store.head('basic/one.bin');
      expect(info?.size).toBe(1000);
      expect(Math.abs(info!.lastModified - Date.now())).toBeLessThan(60_000);
    });

    it('answers undefined for a missing key, and deletes one without complaint', async () => {
      expect(await store.get('missing/nothing')).toBeUndefined();
      expect(await store.head('missing/nothing')).toBeUndefined();
      await store.delete('missing/nothing');
    });

    it('replaces an object, and deletes it', async () => {
      await store.put('replace/x', Buffer.from('first'));
      await store.put('replace/x', Buffer.from('second, longer'));
      expect((await bytesOf(await store.get('replace/x')))?.toString()).toBe('second, longer');
      await store.delete('replace/x');
      expect(await store.get('replace/x')).toBeUndefined();
      expect(await keysOf(store, 'replace/')).toEqual([]);
    });

    it('stores an empty object', async () => {
      await store.put('empty/zero', new Uint8Array());
      expect((await bytesOf(await store.get('empty/zero')))?.length).toBe(0);
      expect((await store.head('empty/zero'))?.size).toBe(0);
    });

    it('lists every key with a prefix in key order, over as many pages as it takes', async () => {
      const count = Math.max(25, (rig.pageSize ?? 0) * 3 + 1);
      const keys = Array.from({ length: count }, (_, i) => `paged/k${String(i).padStart(3, '0')}`);
      for (const key of [...keys].reverse()) await store.put(key, Buffer.from(key));
      await store.put('pagedness/other', Buffer.from('not under paged/'));
      expect(await keysOf(store, 'paged/')).toEqual(keys);
      expect(await keysOf(store, 'paged/k00')).toEqual(keys.slice(0, 10));
      expect(await keysOf(store, 'nothing-here/')).toEqual([]);
      const listed = [];
      for await (const object of store.list('paged/k001')) listed.push(object);
      expect(listed).toMatchObject([{ key: 'paged/k001', size: 'paged/k001'.length }]);
    });

    it('streams a large object in and out whole', { timeout: 120_000 }, async () => {
      const size = 21 * 1024 * 1024 + 12_345;
      const { stream, digest } = randomStream(size);
      await store.put('large/blob', stream);
      const expected = digest();
      const hash = createHash('sha256');
      let length = 0;
      for await (const chunk of (await store.get('large/blob'))!) {
        hash.update(chunk as Uint8Array);
        length += (chunk as Uint8Array).length;
      }
      expect(length).toBe(size);
      expect(hash.digest('hex')).toBe(expected);
      expect((await store.head('large/blob'))?.size).toBe(size);
    });

    it('keeps the object whole when many write the same key with the same bytes at once', async () => {
      const body = randomBytes(700_000);
      await Promise.all(Array.from({ length: 6 }, () => store.put('race/identical', body)));
      expect(sha((await bytesOf(await store.get('race/identical')))!)).toBe(sha(body));
    });

    // A property of the server rather than of the adapter, so only asked of servers that have it
    // (see `atomicReplace`); the same-bytes case above is what Longhand relies on everywhere.
    if (facts.atomicReplace !== false) it('keeps one whole object when the same key is written by many at once', async () => {
      const bodies = Array.from({ length: 6 }, () => randomBytes(256 * 1024 + Math.floor(Math.random() * 1000)));
      await Promise.all(bodies.map((body) => store.put('race/same', body)));
      const stored = (await bytesOf(await store.get('race/same')))!;
      expect(bodies.map(sha)).toContain(sha(stored));
    });

    it('keeps nothing of a write whose body fails midway', async () => {
      async function* failing(): AsyncIterable<Uint8Array> {
        yield randomBytes(100_000);
        throw new Error('the source broke');
      }
      await expect(store.put('broken/never', failing())).rejects.toThrow();
      expect(await store.head('broken/never')).toBeUndefined();
    });

    it('refuses keys that could name something outside its namespace', async () => {
      for (const key of ['', '../escape', '/absolute', 'a//b', '.hidden', 'a/../b', 'a/./b', 'trailing/']) {
        await expect(store.put(key, Buffer.from('x')), key).rejects.toThrow(/invalid object key/);
      }
    });
  });
}
