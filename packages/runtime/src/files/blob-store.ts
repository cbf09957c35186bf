import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';

/** Where file bytes live. The filesystem adapter serves one machine; object stores serve many. */
export interface BlobStore {
  put(key: string, data: Uint8Array): Promise<void>;
  /** A stream of the bytes, or undefined when there is no such blob. */
  get(key: string): Promise<ReadableStream<Uint8Array> | undefined>;
  delete(key: string): Promise<void>;
}

const SAFE_KEY = /^[A-Za-z0-9_.-]+$/;

/** Blobs as files under one directory; writes are atomic (temp file, fsync, rename). */
export class FsBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  async put(key: string, data: Uint8Array): Promise<void> {
    const path = this.path(key);
    await mkdir(this.root, { recursive: true });
    const temp = `${path}.tmp-${process.pid}-${Date.now()}`;
    await writeFile(temp, data, { flush: true });
    await rename(temp, path);
  }

  async get(key: string): Promise<ReadableStream<Uint8Array> | undefined> {
    const path = this.path(key);
    try {
      await stat(path);
    } catch {
      return undefined;
    }
    return Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  private path(key: string): string {
    if (!SAFE_KEY.test(key)) throw new Error(`invalid blob key: ${key}`);
    return join(this.root, key);
  }
}
