/**
 * AWS Signature Version 4 for S3 requests sent with the `Authorization` header: the canonical
 * request (method, URI-encoded path, sorted query, signed headers, payload hash), the string to
 * sign over its hash, and an HMAC-SHA256 chain of date, region and service from the secret.
 * Tested against the worked examples of AWS's S3 documentation.
 */
import { createHash, createHmac } from 'node:crypto';

/** Long-term or temporary credentials (the session token comes with temporary ones). */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

/** The hash of an empty body, which every bodiless request signs. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface SignInput {
  method: string;
  url: URL;
  /** Headers the request will carry besides the ones signing adds; all of them are signed. */
  headers: Record<string, string>;
  /** Hex SHA-256 of the body (or `UNSIGNED-PAYLOAD`). */
  payloadHash: string;
  credentials: S3Credentials;
  region: string;
  /** The signing time; defaults to now. */
  date?: Date;
  service?: string;
}

export interface Signed {
  /** Every header to send: the input's, `host`, `x-amz-date`, `x-amz-content-sha256`, the token, and `authorization`. */
  headers: Record<string, string>;
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}

/** Hex SHA-256 of bytes or text. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Uint8Array | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** RFC 3986 percent-encoding, as SigV4 wants it: everything but `A-Za-z0-9-._~` (and `/` when asked). */
export function uriEncode(text: string, keepSlash = false): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(char) || (keepSlash && char === '/')) out += char;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `20130524T000000Z` */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * Signs a request. The URL's path must already be in its sent form (segments percent-encoded
 * once); S3 signs that form as it is, without encoding it again.
 * @example
 * const { headers } = signRequest({ method: 'GET', url, headers: {}, payloadHash: EMPTY_SHA256, credentials, region: 'us-east-1' });
 * await fetch(url, { headers });
 */
export function signRequest(input: SignInput): Signed {
  const service = input.service ?? 's3';
  const time = amzDate(input.date ?? new Date());
  const day = time.slice(0, 8);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers)) headers[name.toLowerCase()] = value;
  headers.host = input.url.host;
  headers['x-amz-date'] = time;
  headers['x-amz-content-sha256'] = input.payloadHash;
  if (input.credentials.sessionToken) headers['x-amz-security-token'] = input.credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((name) => `${name}:${headers[name]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const query = [...input.url.searchParams]
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalRequest = [input.method, input.url.pathname || '/', query, canonicalHeaders, signedHeaders, input.payloadHash].join('\n');
  const scope = `${day}/${input.region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', time, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${input.credentials.secretAccessKey}`, day), input.region), service), 'aws4_request');
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope},SignedHeaders=${signedHeaders},Signature=${signature}`;
  return { headers, canonicalRequest, stringToSign, signature };
}
