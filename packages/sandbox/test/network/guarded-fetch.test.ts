/**
 * The guarded fetch in this process, against a service on this host's loopback, which it must
 * never reach. Redirects, TLS and allowed destinations are exercised inside namespaces, in
 * `guarded-fetch.netns.test.ts`; only spellings of local addresses are tried here, so even a
 * broken fetch could not send a packet off this host.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EgressError } from '../../src/network/errors.js';
import { guardedFetch } from '../../src/network/guarded-fetch.js';
import { createNetworkPolicy } from '../../src/network/policy.js';
import type { Resolver } from '../../src/network/resolve.js';
import { serveHttp, type Recorder } from './fixtures/servers.js';

const policy = createNetworkPolicy({ networking: { type: 'unrestricted' }, ports: 'any' });
const resolver: Resolver = async (name) => {
  if (name === 'loop.test') return ['127.0.0.1'];
  throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
};

let loopback: Recorder;
let port: number;

beforeAll(async () => {
  const handle = createServer();
  await new Promise<void>((resolve) => handle.listen(0, '127.0.0.1', resolve));
  port = (handle.address() as { port: number }).port;
  loopback = await serveHttp(handle, (_req, res) => res.end('loopback secret'));
});

afterAll(async () => {
  await loopback?.close();
});

async function failure(url: string): Promise<EgressError> {
  const error = await guardedFetch(url, { policy, resolver }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof EgressError)) throw new Error(`expected an EgressError from ${url}, got ${String(error)}`);
  return error;
}

describe('guardedFetch on this host', () => {
  it.each([
    'http://127.0.0.1:PORT/',
    'http://0x7f.1:PORT/',
    'http://2130706433:PORT/',
    'http://0177.0.0.1:PORT/',
    'http://127.1:PORT/',
    'http://[::1]:PORT/',
    'http://[::ffff:127.0.0.1]:PORT/',
    'http://[::ffff:7f00:1]:PORT/',
    'http://0.0.0.0:PORT/',
    'http://localhost:PORT/',
    'https://localhost:PORT/',
    'http://loop.test:PORT/',
  ])('denies %s without connecting', async (template) => {
    const error = await failure(template.replace('PORT', String(port)));
    expect(error.code).toBe('denied');
    expect(error.message).toMatch(/loopback|this network|host itself/);
    expect(loopback.connections).toBe(0);
  });

  it.each([
    ['file:///etc/passwd', /only http and https URLs can be fetched, not file:/],
    ['ftp://example.com/', /not ftp:/],
    ['javascript:alert(1)', /not javascript:/],
    ['http://user:secret@example.com/', /credentials/],
    ['not a url', /not a valid URL/],
    ['http://exa%20mple.com/', /not a valid URL|not a valid host name/],
  ])('rejects %s as an invalid target', async (url, reason) => {
    const error = await failure(url);
    expect(error.code).toMatch(/invalid_target|denied/);
    expect(error.message).toMatch(reason);
  });

  it('reports a name that does not resolve as dns_failed', async () => {
    const error = await failure('http://nowhere.test/');
    expect(error.code).toBe('dns_failed');
    expect(error.retryable).toBe(true);
  });

  it('gives up at the time limit while the resolver hangs', async () => {
    const error = await guardedFetch('http://slow.test/', { policy, resolver: () => new Promise(() => undefined), timeoutMs: 50 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EgressError);
    expect((error as EgressError).code).toBe('timeout');
  });

  it('stops when the caller aborts', async () => {
    const controller = new AbortController();
    const pending = guardedFetch('http://slow.test/', { policy, resolver: () => new Promise(() => undefined), signal: controller.signal }).catch((caught: unknown) => caught);
    controller.abort();
    expect(((await pending) as EgressError).code).toBe('aborted');
  });
});
