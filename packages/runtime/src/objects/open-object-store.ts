import { fileURLToPath } from 'node:url';
import { DirObjectStore } from './dir/dir-object-store.js';
import type { ObjectStore } from './object-store.js';
import { S3ObjectStore, type S3Options } from './s3/s3-object-store.js';
import type { S3Credentials } from './s3/s3-signer.js';

const FLAGS = new Set(['endpoint', 'region', 'path_style', 'part_size_mb']);

/**
 * The object store a URL names (`--object-store`, `LONGHAND_OBJECT_STORE`):
 *
 * - `file:///shared/dir`: a directory (one machine, a shared mount, tests);
 * - `s3://bucket/optional/prefix?region=eu-west-1`: Amazon S3;
 * - `s3://bucket/prefix?endpoint=http://127.0.0.1:9000&path_style=true`: an S3-compatible service
 *   (MinIO, Ceph RGW, Cloudflare R2, Google Cloud Storage's XML API, …).
 *
 * Credentials never go in the URL: they come from `credentials`, else `AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`.
 * @throws Error naming what is wrong with the URL
 */
export function openObjectStore(url: string, credentials?: S3Credentials): ObjectStore {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`the object store must be a URL such as s3://bucket/prefix or file:///dir, not ${JSON.stringify(url)}`);
  }
  if (parsed.protocol === 'file:') {
    if (parsed.search || parsed.hash) throw new Error('a file:// object store takes no query');
    return new DirObjectStore(fileURLToPath(parsed));
  }
  if (parsed.protocol !== 's3:') throw new Error(`the object store URL must start with s3:// or file://, not ${parsed.protocol}//`);
  if (parsed.username || parsed.password) throw new Error('put S3 credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, not in the object store URL');
  if (!parsed.hostname) throw new Error('the object store URL names no bucket: s3://<bucket>/<prefix>');
  for (const name of parsed.searchParams.keys()) {
    if (!FLAGS.has(name)) throw new Error(`unknown object store option ${name} (known: ${[...FLAGS].join(', ')})`);
  }
  const query = parsed.searchParams;
  const options: S3Options = { bucket: decodeURIComponent(parsed.hostname), prefix: decodeURIComponent(parsed.pathname) };
  const endpoint = query.get('endpoint');
  if (endpoint) {
    if (!/^https?:\/\//.test(endpoint)) throw new Error(`the object store endpoint must be an http:// or https:// URL, not ${endpoint}`);
    options.endpoint = endpoint;
  }
  const region = query.get('region');
  if (region) options.region = region;
  const pathStyle = query.get('path_style');
  if (pathStyle !== null) {
    if (pathStyle !== 'true' && pathStyle !== 'false') throw new Error('path_style must be true or false');
    options.pathStyle = pathStyle === 'true';
  }
  const partSize = query.get('part_size_mb');
  if (partSize !== null) {
    const mb = Number(partSize);
    if (!Number.isInteger(mb) || mb < 5 || mb > 5120) throw new Error('part_size_mb must be a whole number from 5 to 5120');
    options.partSize = mb * 1024 * 1024;
  }
  if (credentials) options.credentials = credentials;
  return new S3ObjectStore(options);
}
