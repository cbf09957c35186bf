import type Anthropic from '@anthropic-ai/sdk';
import { BadRequestError, NotFoundError, toFile } from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badField, collect, expectApiError } from './support/fixtures.js';
import { rawRequest } from './support/raw.js';
import { CONTROL_PLANE, startServer, type TestServer } from './support/server.js';

let server: TestServer;
let client: Anthropic;

beforeAll(async () => {
  server = await startServer(CONTROL_PLANE);
  client = server.a.client;
});
afterAll(() => server.close());

/** Every byte value, so a download proves the bytes travel untouched. */
const allBytes = () => Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const upload = async (data: Buffer, name: string, type?: string, extra: { expires_in_seconds?: number } = {}) =>
  client.beta.files.upload({ file: await toFile(data, name, type ? { type } : {}), ...extra });
const notFound = { status: 404, type: 'not_found_error' };

describe('POST /v1/files', () => {
  it('uploads a file and returns its metadata', async () => {
    const file = await upload(allBytes(), 'bytes.bin', 'application/octet-stream');
    expect(file).toEqual({
      type: 'file',
      id: expect.stringMatching(/^file_/),
      filename: 'bytes.bin',
      mime_type: 'application/octet-stream',
      size_bytes: 256,
      created_at: expect.any(String),
      downloadable: false,
      expires_at: null,
      scope: null,
    });
  });

  it('keeps only the last component of the filename', async () => {
    expect((await upload(Buffer.from('a'), 'reports/2026/q1.csv', 'text/csv')).filename).toBe('q1.csv');
    expect((await upload(Buffer.from('a'), '..\\..\\evil.txt', 'text/plain')).filename).toBe('evil.txt');
  });

  it('sets expires_at from expires_in_seconds and refuses values out of range', async () => {
    const file = await upload(Buffer.from('soon'), 'soon.txt', 'text/plain', { expires_in_seconds: 3600 });
    expect(Date.parse(file.expires_at!) - Date.parse(file.created_at)).toBe(3600 * 1000);
    await expectApiError(upload(Buffer.from('x'), 'x.txt', 'text/plain', { expires_in_seconds: 60 }), BadRequestError, badField('expires_in_seconds'));
  });

  it('refuses a body that is not multipart or has no file field', async () => {
    const json = await rawRequest(server.url, { method: 'POST', path: '/v1/files', key: server.a.key, body: { file: 'hello' } });
    expect(json.status).toBe(400);
    expect(json.body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' }, request_id: expect.stringMatching(/^req_/) });
    const form = new FormData();
    form.append('other', 'value');
    const response = await fetch(`${server.url}/v1/files`, { method: 'POST', headers: { 'x-api-key': server.a.key }, body: form });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain('file');
  });
});

describe('GET /v1/files and GET /v1/files/{id}', () => {
  it('lists every file once with small pages and retrieves each', async () => {
    const own = await startServer(CONTROL_PLANE);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        ids.push((await own.a.client.beta.files.upload({ file: await toFile(Buffer.from(`f${i}`), `f${i}.txt`) })).id);
      }
      const listed = await collect(own.a.client.beta.files.list({ limit: 2 }));
      expect(listed.map((file) => file.id).sort()).toEqual([...ids].sort());
      for (const file of listed) expect(await own.a.client.beta.files.retrieveMetadata(file.id)).toEqual(file);
      // Older clients read the id-page fields; both shapes are in one answer.
      const raw = await rawRequest(own.url, { path: '/v1/files?limit=2', key: own.a.key });
      expect(raw.body).toMatchObject({ has_more: true, first_id: raw.body.data[0].id, last_id: raw.body.data[1].id, next_page: expect.any(String) });
      const last = await rawRequest(own.url, { path: '/v1/files?limit=5', key: own.a.key });
      expect(last.body).toMatchObject({ has_more: false, next_page: null });
    } finally {
      await own.close();
    }
  });

  it('selects files by ids[] on one page, and refuses ids[] with limit', async () => {
    const one = await upload(Buffer.from('1'), 'one.txt');
    const two = await upload(Buffer.from('2'), 'two.txt');
    const page = await client.beta.files.list({ ids: [two.id, one.id, 'file_missing'] });
    expect(page.data.map((file) => file.id)).toEqual([two.id, one.id]);
    expect(page.next_page).toBeNull();
    await expectApiError(client.beta.files.list({ ids: [one.id], limit: 1 }), BadRequestError, badField('ids'));
  });

  it('answers 404 for an unknown file', async () => {
    await expectApiError(client.beta.files.retrieveMetadata('file_missing'), NotFoundError, notFound);
  });

  it('answers 404 file_expired once a file has expired', async () => {
    const file = await upload(Buffer.from('brief'), 'brief.txt', 'text/plain', { expires_in_seconds: 3600 });
    // Moves the expiry into the past in the store, rather than waiting an hour.
    const row = await server.runtime.store.documents.get<typeof file>('file', file.id);
    await server.runtime.store.documents.update('file', file.id, { body: { ...row!.body, expires_at: new Date(Date.now() - 1000).toISOString() } });
    const expired = { ...notFound, errorCode: 'file_expired' };
    await expectApiError(client.beta.files.retrieveMetadata(file.id), NotFoundError, expired);
    await expectApiError(client.beta.files.download(file.id), NotFoundError, expired);
    // Another workspace learns nothing, not even that the file expired.
    const foreign = await expectApiError(server.b.client.beta.files.retrieveMetadata(file.id), NotFoundError, notFound);
    expect(foreign.errorCode).toBeNull();
  });
});

describe('GET /v1/files/{id}/content', () => {
  it('returns the exact bytes with the stored content type', async () => {
    const file = await upload(allBytes(), 'bytes.bin', 'application/x-test');
    const response = await client.beta.files.download(file.id);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-test');
    expect(response.headers.get('content-disposition')).toContain('bytes.bin');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(allBytes());
  });

  it('answers 404 for an unknown file', async () => {
    await expectApiError(client.beta.files.download('file_missing'), NotFoundError, notFound);
  });
});

describe('DELETE /v1/files/{id}', () => {
  it('deletes metadata and bytes and answers with file_deleted', async () => {
    const file = await upload(Buffer.from('bye'), 'bye.txt', 'text/plain');
    expect(await client.beta.files.delete(file.id)).toEqual({ id: file.id, type: 'file_deleted' });
    await expectApiError(client.beta.files.retrieveMetadata(file.id), NotFoundError, notFound);
    await expectApiError(client.beta.files.download(file.id), NotFoundError, notFound);
    await expectApiError(client.beta.files.delete(file.id), NotFoundError, notFound);
    expect((await collect(client.beta.files.list())).map((f) => f.id)).not.toContain(file.id);
  });
});
