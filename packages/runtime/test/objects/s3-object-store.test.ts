import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../src/objects/s3/s3-object-store.js';
import { openObjectStore } from '../../src/objects/open-object-store.js';
import { objectStoreConformance } from '../conformance/object-store-conformance.js';
import { startS3Server } from '../support/s3-server.js';

// A real S3 server on loopback (s3rver): every request, multipart upload and listing page goes
// over HTTP through the client's own signing and parsing.
objectStoreConformance('S3ObjectStore against s3rver', async () => {
  const server = await startS3Server();
  const store = new S3ObjectStore({
    bucket: server.bucket,
    prefix: 'suite',
    endpoint: server.endpoint,
    pathStyle: true,
    credentials: server.credentials,
    partSize: 5 * 1024 * 1024,
    pageSize: 7,
  });
  return { store, pageSize: 7, close: () => server.close() };
}, { atomicReplace: false });

describe('S3ObjectStore', () => {
  it('keeps its objects under its prefix, apart from another prefix in the same bucket', async () => {
    const server = await startS3Server();
    try {
      const options = { bucket: server.bucket, endpoint: server.endpoint, pathStyle: true, credentials: server.credentials };
      const a = new S3ObjectStore({ ...options, prefix: 'tenant-a/' });
      const b = new S3ObjectStore({ ...options, prefix: 'tenant-b' });
      await a.put('files/x', Buffer.from('a'));
      await b.put('files/x', Buffer.from('b'));
      const keys = [];
      for await (const object of a.list('')) keys.push(object.key);
      expect(keys).toEqual(['files/x']);
      const body = await b.get('files/x');
      expect(Buffer.concat(await body!.toArray()).toString()).toBe('b');
    } finally {
      await server.close();
    }
  });

  it('sends bytes in memory larger than a part as a multipart upload', async () => {
    const server = await startS3Server();
    try {
      const store = new S3ObjectStore({ bucket: server.bucket, endpoint: server.endpoint, pathStyle: true, credentials: server.credentials, partSize: 5 * 1024 * 1024 });
      const data = randomBytes(11 * 1024 * 1024 + 7);
      await store.put('big/bytes', data);
      const back = Buffer.concat(await (await store.get('big/bytes'))!.toArray());
      expect(back.equals(data)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('is opened from an s3:// URL with its endpoint, region and addressing', async () => {
    const server = await startS3Server();
    try {
      const store = openObjectStore(server.url('from-url'), server.credentials);
      await store.put('k', Buffer.from('v'));
      expect((await store.head('k'))?.size).toBe(1);
      expect(store.description).toContain('(path-style)');
    } finally {
      await server.close();
    }
  });

  it('says which credentials are missing rather than sending unsigned requests', () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    try {
      expect(() => new S3ObjectStore({ bucket: 'b' })).toThrow(/AWS_ACCESS_KEY_ID/);
    } finally {
      if (saved.id !== undefined) process.env.AWS_ACCESS_KEY_ID = saved.id;
      if (saved.secret !== undefined) process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    }
  });

  it('reports a refusal by the service with its code, without retrying it', async () => {
    const server = await startS3Server();
    try {
      const store = new S3ObjectStore({ bucket: 'no-such-bucket', endpoint: server.endpoint, pathStyle: true, credentials: server.credentials, attempts: 1 });
      await expect(store.put('k', Buffer.from('v'))).rejects.toThrow(/NoSuchBucket/);
    } finally {
      await server.close();
    }
  });
});
