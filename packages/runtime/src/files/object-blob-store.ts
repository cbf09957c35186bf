import { Readable } from 'node:stream';
import type { ObjectStore } from '../objects/object-store.js';
import type { BlobStore } from './blob-store.js';

const SAFE_KEY = /^[A-Za-z0-9_.-]+$/;

/**
 * Uploaded files' bytes in the object store (`files/<id>`), so that every API process of a
 * deployment serves every file, whichever process took the upload.
 */
export class ObjectBlobStore implements BlobStore {
  constructor(
    private readonly objects: ObjectStore,
    private readonly prefix = 'files/',
  ) {}

  put(key: string, data: Uint8Array): Promise<void> {
    return this.objects.put(this.key(key), data);
  }

  async get(key: string): Promise<ReadableStream<Uint8Array> | undefined> {
    const stream = await this.objects.get(this.key(key));
    return stream ? (Readable.toWeb(stream) as ReadableStream<Uint8Array>) : undefined;
  }

  delete(key: string): Promise<void> {
    return this.objects.delete(this.key(key));
  }

  private key(key: string): string {
    if (!SAFE_KEY.test(key) || key.startsWith('.')) throw new Error(`invalid blob key: ${key}`);
    return `${this.prefix}${key}`;
  }
}
