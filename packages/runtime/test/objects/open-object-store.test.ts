import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirObjectStore } from '../../src/objects/dir/dir-object-store.js';
import { openObjectStore } from '../../src/objects/open-object-store.js';
import { S3ObjectStore } from '../../src/objects/s3/s3-object-store.js';

const credentials = { accessKeyId: 'id', secretAccessKey: 'secret' };

describe('openObjectStore', () => {
  it('opens a directory from a file:// URL', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'longhand-open-'));
    try {
      const store = openObjectStore(`file://${dir}`);
      expect(store).toBeInstanceOf(DirObjectStore);
      await store.put('k', Buffer.from('v'));
      expect((await store.head('k'))?.size).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('opens Amazon S3 virtual-hosted by default, and an S3-compatible endpoint path-style when asked', () => {
    expect(openObjectStore('s3://my-bucket/some/prefix?region=eu-west-1', credentials).description).toBe('s3://my-bucket/some/prefix/ at https://s3.eu-west-1.amazonaws.com');
    const minio = openObjectStore('s3://b?endpoint=http://127.0.0.1:9000&path_style=true&part_size_mb=16', credentials);
    expect(minio).toBeInstanceOf(S3ObjectStore);
    expect(minio.description).toBe('s3://b/ at http://127.0.0.1:9000 (path-style)');
  });

  it('refuses what it cannot serve, saying why', () => {
    expect(() => openObjectStore('gs://bucket', credentials)).toThrow(/s3:\/\/ or file:\/\//);
    expect(() => openObjectStore('not a url', credentials)).toThrow(/must be a URL/);
    expect(() => openObjectStore('s3://key:secret@bucket', credentials)).toThrow(/AWS_ACCESS_KEY_ID/);
    expect(() => openObjectStore('s3://bucket?endpoint=ftp://x', credentials)).toThrow(/http:\/\//);
    expect(() => openObjectStore('s3://bucket?pathstyle=true', credentials)).toThrow(/unknown object store option pathstyle/);
    expect(() => openObjectStore('s3://bucket?path_style=yes', credentials)).toThrow(/true or false/);
    expect(() => openObjectStore('s3://bucket/.hidden/prefix', credentials)).toThrow(/invalid object key/);
  });
});
