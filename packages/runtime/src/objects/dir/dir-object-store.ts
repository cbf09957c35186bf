import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { assertObjectKey, assertObjectPrefix, ObjectStoreError, type ObjectBody, type ObjectInfo, type ObjectStore } from '../object-store.js';

/** Temporary files of writes in progress live here, on the same file system as the objects. */
const TEMP = '.tmp';
/** Temporary files older than this were left by a process that died mid-write. */
const STALE_TEMP_MS = 24 * 60 * 60_000;

/**
 * Objects as files under one directory: `<root>/<key>`. A write goes to a temporary file that is
 * synced and then renamed into place (and the directory synced), so a reader or a crash sees the
 * old object or the new one, never part of one. Serves one machine, a directory every machine
 * mounts (NFS and the like: rename is atomic there too), and tests.
 */
export class DirObjectStore implements ObjectStore {
  readonly description: string;

  constructor(private readonly root: string) {
    this.description = `directory ${root}`;
  }

  async put(key: string, body: ObjectBody): Promise<void> {
    const path = this.path(key);
    const tempDir = join(this.root, TEMP);
    await mkdir(tempDir, { recursive: true });
    const temp = join(tempDir, `${randomBytes(8).toString('hex')}.part`);
    let handle: FileHandle | undefined = await open(temp, 'wx', 0o644);
    try {
      if (body instanceof Uint8Array) await handle.write(body);
      else for await (const chunk of body) await handle.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      await handle.sync();
      await handle.close();
      handle = undefined;
      await mkdir(dirname(path), { recursive: true });
      await rename(temp, path);
      await syncDir(dirname(path));
    } catch (error) {
      await handle?.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw error;
    }
  }

  async get(key: string): Promise<Readable | undefined> {
    let handle: FileHandle;
    try {
      // Opened before it is read: a delete or a replacement meanwhile leaves this reader the
      // object it opened, whole.
      handle = await open(this.path(key), 'r');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    if ((await handle.stat()).isDirectory()) {
      await handle.close();
      return undefined;
    }
    // The stream owns the handle from here and closes it at the end (or on destroy).
    return handle.createReadStream();
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const info = await stat(this.path(key));
      return info.isFile() ? { key, size: info.size, lastModified: info.mtimeMs } : undefined;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await rm(this.path(key));
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertObjectPrefix(prefix);
    // Only the directory the prefix points into (and below) can hold matching keys.
    const base = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const keys = (await this.walk(base)).filter((key) => key.startsWith(prefix)).sort(byBytes);
    for (const key of keys) {
      const info = await this.head(key);
      if (info) yield info;
    }
  }

  /** Deletes temporary files left by writers that died (older than a day). */
  async sweep(): Promise<number> {
    let removed = 0;
    let names: string[];
    try {
      names = await readdir(join(this.root, TEMP));
    } catch (error) {
      if (isMissing(error)) return 0;
      throw error;
    }
    for (const name of names) {
      const path = join(this.root, TEMP, name);
      const info = await stat(path).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > STALE_TEMP_MS) {
        await rm(path, { force: true });
        removed += 1;
      }
    }
    return removed;
  }

  /** Keys of every file at or below `dir` (a key prefix ending before a `/`). */
  private async walk(dir: string): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(dir === '' ? this.root : join(this.root, dir), { withFileTypes: true });
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw error;
    }
    const keys: string[] = [];
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const key = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) keys.push(...(await this.walk(key)));
      else if (entry.isFile()) keys.push(key);
    }
    return keys;
  }

  private path(key: string): string {
    assertObjectKey(key);
    return join(this.root, ...key.split('/'));
  }
}

/** Orders keys as S3 does: by their UTF-8 bytes. */
export function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function syncDir(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some network file systems refuse fsync on a directory; the rename itself is still atomic.
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL' && (error as NodeJS.ErrnoException).code !== 'EISDIR') throw new ObjectStoreError('failed', (error as Error).message);
  } finally {
    await handle.close();
  }
}
