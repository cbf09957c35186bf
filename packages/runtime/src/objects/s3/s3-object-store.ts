import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { assertObjectKey, assertObjectPrefix, ObjectStoreError, type ObjectBody, type ObjectInfo, type ObjectStore } from '../object-store.js';
import { EMPTY_SHA256, sha256Hex, signRequest, uriEncode, type S3Credentials } from './s3-signer.js';
import { inParts } from './s3-parts.js';
import { completeUploadXml, element, parseError, parseListPage } from './s3-xml.js';

/** Where and how to reach a bucket. */
export interface S3Options {
  bucket: string;
  /** A key prefix every object of this store gets (`longhand/`); empty for the bucket's root. */
  prefix?: string;
  /** `us-east-1` by default; S3-compatible services often accept anything here. */
  region?: string;
  /**
   * The service's base URL (`http://127.0.0.1:9000` for MinIO, `https://<account>.r2.cloudflarestorage.com`,
   * `https://storage.googleapis.com`). Default: Amazon S3 in `region`.
   */
  endpoint?: string;
  /** `https://host/bucket/key` instead of `https://bucket.host/key` (most self-hosted services want it). */
  pathStyle?: boolean;
  /** Default: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`. */
  credentials?: S3Credentials;
  /**
   * Bodies up to this size go in one PutObject; larger ones in parts of this size (multipart
   * upload: at most 10,000 parts, so 8 MiB parts allow objects up to 78 GiB). Default 8 MiB;
   * S3 needs at least 5 MiB.
   */
  partSize?: number;
  /** Keys per listing request (default 1000, S3's maximum). */
  pageSize?: number;
  /** Attempts of a request that failed in a way worth retrying (network, 5xx, 429). Default 4. */
  attempts?: number;
}

const MiB = 1024 * 1024;
/** How long a request may wait for the response headers (bodies stream without a limit). */
const HEADERS_TIMEOUT_MS = 120_000;

interface Call {
  method: 'GET' | 'PUT' | 'POST' | 'HEAD' | 'DELETE';
  /** The object key inside the store (the prefix is added), or undefined for the bucket itself. */
  key?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** Statuses that are answers, not failures (404 for a missing object). */
  accept?: readonly number[];
}

/**
 * Objects in an S3 bucket (or any service that speaks the S3 API), through `fetch` and requests
 * signed with Signature Version 4. Every body is signed by its SHA-256: small objects go in one
 * PutObject, larger ones (layers) in a multipart upload of buffered parts, so memory stays at one
 * part whatever the object's size.
 */
export class S3ObjectStore implements ObjectStore {
  readonly description: string;
  private readonly prefix: string;
  private readonly region: string;
  private readonly endpoint: URL;
  private readonly pathStyle: boolean;
  private readonly credentials: S3Credentials;
  private readonly partSize: number;
  private readonly pageSize: number;
  private readonly attempts: number;

  constructor(private readonly options: S3Options) {
    this.region = options.region ?? 'us-east-1';
    this.endpoint = new URL(options.endpoint ?? `https://s3.${this.region}.amazonaws.com`);
    this.pathStyle = options.pathStyle ?? false;
    this.prefix = normalizePrefix(options.prefix ?? '');
    this.partSize = Math.max(5 * MiB, options.partSize ?? 8 * MiB);
    this.pageSize = options.pageSize ?? 1000;
    this.attempts = options.attempts ?? 4;
    const credentials = options.credentials ?? credentialsFromEnv();
    if (!credentials) {
      throw new ObjectStoreError('denied', 'no credentials for the S3 object store: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
    }
    this.credentials = credentials;
    this.description = `s3://${options.bucket}/${this.prefix} at ${this.endpoint.origin}${this.pathStyle ? ' (path-style)' : ''}`;
  }

  async put(key: string, body: ObjectBody): Promise<void> {
    assertObjectKey(key);
    const parts = inParts(body, this.partSize)[Symbol.asyncIterator]();
    const first = await parts.next();
    const firstPart = first.done ? new Uint8Array() : first.value;
    const second = first.done ? first : await parts.next();
    if (second.done) {
      await this.call({ method: 'PUT', key, body: firstPart });
      return;
    }
    await this.multipart(key, [firstPart, second.value], parts);
  }

  async get(key: string): Promise<Readable | undefined> {
    assertObjectKey(key);
    const response = await this.call({ method: 'GET', key, accept: [404] });
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.body) return Readable.from([]);
    return Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    assertObjectKey(key);
    const response = await this.call({ method: 'HEAD', key, accept: [404] });
    if (response.status === 404) return undefined;
    return {
      key,
      size: Number(response.headers.get('content-length') ?? 0),
      lastModified: Date.parse(response.headers.get('last-modified') ?? '') || 0,
    };
  }

  async delete(key: string): Promise<void> {
    assertObjectKey(key);
    await this.call({ method: 'DELETE', key, accept: [404] });
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertObjectPrefix(prefix);
    let token: string | undefined;
    do {
      const query: Record<string, string> = { 'list-type': '2', prefix: this.prefix + prefix, 'max-keys': String(this.pageSize) };
      if (token) query['continuation-token'] = token;
      const response = await this.call({ method: 'GET', query });
      const page = parseListPage(await response.text());
      for (const object of page.objects) {
        if (object.key.startsWith(this.prefix)) yield { ...object, key: object.key.slice(this.prefix.length) };
      }
      token = page.nextToken;
    } while (token);
  }

  /** Uploads `first` and the rest of `parts` as one multipart upload; aborts it on any failure. */
  private async multipart(key: string, first: Uint8Array[], rest: AsyncIterator<Uint8Array>): Promise<void> {
    const created = await this.call({ method: 'POST', key, query: { uploads: '' } });
    const uploadId = element(await created.text(), 'UploadId');
    if (!uploadId) throw new ObjectStoreError('failed', `S3 started no multipart upload for ${key}`);
    const done: Array<{ number: number; etag: string }> = [];
    try {
      const send = async (part: Uint8Array) => {
        const number = done.length + 1;
        const response = await this.call({ method: 'PUT', key, query: { partNumber: String(number), uploadId }, body: part });
        const etag = response.headers.get('etag');
        await response.body?.cancel();
        if (!etag) throw new ObjectStoreError('failed', `S3 returned no ETag for part ${number} of ${key}`);
        done.push({ number, etag });
      };
      for (const part of first) await send(part);
      for (let next = await rest.next(); !next.done; next = await rest.next()) await send(next.value);
      const body = new TextEncoder().encode(completeUploadXml(done));
      const completed = await this.call({ method: 'POST', key, query: { uploadId }, body, headers: { 'content-type': 'application/xml' } });
      // S3 may answer 200 and still report a failure in the body (it decides after the headers).
      const error = parseError(await completed.text());
      if (error) throw new ObjectStoreError('unavailable', `completing the upload of ${key} failed: ${error.code}: ${error.message}`, true);
    } catch (failure) {
      await this.call({ method: 'DELETE', key, query: { uploadId }, accept: [404] }).catch(() => undefined);
      throw failure;
    }
  }

  /** Sends a signed request, retrying failures worth retrying; a failure becomes an `ObjectStoreError`. */
  private async call(call: Call): Promise<Response> {
    const url = this.urlOf(call.key, call.query ?? {});
    const body = call.body;
    const payloadHash = body && body.byteLength > 0 ? sha256Hex(body) : EMPTY_SHA256;
    const what = `${call.method} ${call.key === undefined ? `bucket ${this.options.bucket}` : call.key}`;
    let last: unknown;
    for (let attempt = 1; attempt <= this.attempts; attempt += 1) {
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt + Math.random() * 100));
      const signed = signRequest({ method: call.method, url, headers: call.headers ?? {}, payloadHash, credentials: this.credentials, region: this.region });
      const { host: _host, ...headers } = signed.headers;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new Error('no response headers in time')), HEADERS_TIMEOUT_MS);
      let response: Response;
      try {
        response = await fetch(url, { method: call.method, headers, ...(body ? { body } : {}), signal: controller.signal });
      } catch (error) {
        last = new ObjectStoreError('unavailable', `${what}: ${(error as Error).message}`, true, { cause: error });
        continue;
      } finally {
        clearTimeout(timer);
      }
      if (response.ok || call.accept?.includes(response.status)) return response;
      const text = await response.text().catch(() => '');
      const detail = parseError(text);
      const message = `${what}: ${response.status}${detail ? ` ${detail.code}: ${detail.message}` : ''}`;
      if (response.status >= 500 || response.status === 429) {
        last = new ObjectStoreError('unavailable', message, true);
        continue;
      }
      throw new ObjectStoreError(response.status === 403 || response.status === 401 ? 'denied' : 'failed', message);
    }
    throw last;
  }

  private urlOf(key: string | undefined, query: Record<string, string>): URL {
    const url = new URL(this.endpoint.href);
    const base = url.pathname.replace(/\/+$/, '');
    const objectPath = key === undefined ? '' : `/${(this.prefix + key).split('/').map((segment) => uriEncode(segment)).join('/')}`;
    if (this.pathStyle) url.pathname = `${base}/${uriEncode(this.options.bucket)}${objectPath}`;
    else {
      url.hostname = `${this.options.bucket}.${url.hostname}`;
      url.pathname = `${base}${objectPath}` || '/';
    }
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    return url;
  }
}

/** Credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, when set. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): S3Credentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
}

function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  assertObjectKey(trimmed);
  return `${trimmed}/`;
}
