/**
 * The guarded fetch inside a private network (see `fixtures/world.ts`): it fetches the public
 * server over HTTP and HTTPS (pinned address, name for SNI, certificate and Host), and every
 * redirect hop is checked again, so no redirect reaches the metadata service, the edge's
 * loopback, private addresses or a rebinding name. Needs root (namespaces).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NetworkPolicyOptions } from '../../src/network/policy.js';
import type { FetchTuning } from './fixtures/agent-protocol.js';
import type { FetchOutcome } from './fixtures/agent-client.js';
import { createWorld, PUBLIC, type World } from './fixtures/world.js';

const UNRESTRICTED: NetworkPolicyOptions = { networking: { type: 'unrestricted' } };

let world: World;
let trapsBefore: ReturnType<World['trapConnections']>;

beforeAll(async () => {
  world = await createWorld();
});

afterAll(async () => {
  await world?.destroy();
});

beforeEach(() => {
  trapsBefore = world.trapConnections();
});

afterEach(() => {
  expect(world.trapConnections()).toEqual(trapsBefore);
});

function fetchIn(url: string, options?: FetchTuning, policy: NetworkPolicyOptions = UNRESTRICTED): Promise<FetchOutcome> {
  return world.agent.fetch(url, policy, options);
}

/** The response of a fetch that must succeed. */
async function fetched(url: string, options?: FetchTuning, policy?: NetworkPolicyOptions) {
  const outcome = await fetchIn(url, options, policy);
  if (!outcome.ok) throw new Error(`fetching ${url} failed: ${outcome.code}: ${outcome.message}`);
  return outcome.response;
}

/** The code and message of a fetch that must fail. */
async function refused(url: string, options?: FetchTuning, policy?: NetworkPolicyOptions): Promise<{ code: string; message: string }> {
  const outcome = await fetchIn(url, options, policy);
  if (outcome.ok) throw new Error(`fetching ${url} succeeded with ${outcome.response.status}`);
  return outcome;
}

const redirectTo = (target: string): string => `http://public.test/redirect?to=${encodeURIComponent(target)}`;

describe('guardedFetch reaches allowed destinations', () => {
  it('fetches over HTTP from the checked address, with the name as Host', async () => {
    const before = world.publicHttp.requests.length;
    const response = await fetched('http://public.test/hello');
    expect(response).toMatchObject({ status: 200, text: 'hello from public', address: PUBLIC, truncated: false, redirects: [], url: 'http://public.test/hello' });
    expect(world.publicHttp.requests.slice(before)).toMatchObject([{ url: '/hello', headers: { host: 'public.test' } }]);
  });

  it('fetches over HTTPS with SNI and certificate checks for the name, though the name exists only in the test resolver', async () => {
    const before = world.publicHttps.requests.length;
    const response = await fetched('https://public.test/hello', { ca: world.cert });
    expect(response).toMatchObject({ status: 200, text: 'hello from public', address: PUBLIC });
    expect(world.publicHttps.requests.slice(before)).toMatchObject([{ url: '/hello', servername: 'public.test', headers: { host: 'public.test' } }]);
  });

  it('fetches an https IP literal with no SNI, checking the certificate for the address', async () => {
    const before = world.publicHttps.requests.length;
    expect(await fetched(`https://${PUBLIC}/hello`, { ca: world.cert })).toMatchObject({ status: 200 });
    expect(world.publicHttps.requests.slice(before)).toMatchObject([{ servername: false }]);
  });

  it('refuses a certificate it cannot verify', async () => {
    const failure = await refused('https://public.test/hello');
    expect(failure.code).toBe('connect_failed');
    expect(failure.message).toMatch(/TLS with public\.test failed/);
  });

  it('follows redirects to allowed destinations and reports them', async () => {
    const response = await fetched(redirectTo('https://public.test/hello'), { ca: world.cert });
    expect(response).toMatchObject({ status: 200, text: 'hello from public', url: 'https://public.test/hello', redirects: ['https://public.test/hello'] });
  });

  it('gives up after too many redirects', async () => {
    const before = world.publicHttp.requests.length;
    const failure = await refused('http://public.test/loop', { maxRedirects: 3 });
    expect(failure.code).toBe('too_many_redirects');
    expect(world.publicHttp.requests.length - before).toBe(4);
  });

  it('keeps at most maxBytes of the body and says it did', async () => {
    const response = await fetched('http://public.test/big', { maxBytes: 1000 });
    expect(response.truncated).toBe(true);
    expect(Buffer.from(response.body, 'base64')).toHaveLength(1000);
    const whole = await fetched('http://public.test/big');
    expect(whole.truncated).toBe(false);
    expect(Buffer.from(whole.body, 'base64')).toHaveLength(1024 * 1024);
  });

  it('decodes a body the server compressed although it was asked not to', async () => {
    const response = await fetched('http://public.test/gzip');
    expect(response.text).toBe('compressed hello');
  });

  it('asks HEAD without a body', async () => {
    const response = await fetched('http://public.test/hello', { method: 'HEAD' });
    expect(response).toMatchObject({ status: 200, text: '', truncated: false });
  });

  it('gives up at the time limit when the server never answers', async () => {
    expect((await refused('http://public.test/stall', { timeoutMs: 200 })).code).toBe('timeout');
  });

  it('drops Authorization and Cookie on a redirect to another origin, and keeps them on the same origin', async () => {
    const headers = { authorization: 'Bearer token-for-public', cookie: 'session=1', 'x-other': 'kept' };
    const cross = await fetched(redirectTo('http://other.test/echo'), { headers });
    const crossSeen = JSON.parse(cross.text) as Record<string, string>;
    expect(crossSeen).not.toHaveProperty('authorization');
    expect(crossSeen).not.toHaveProperty('cookie');
    expect(crossSeen['x-other']).toBe('kept');
    const same = await fetched(redirectTo('/echo'), { headers });
    expect(JSON.parse(same.text)).toMatchObject({ authorization: 'Bearer token-for-public', cookie: 'session=1' });
  });
});

describe('guardedFetch refuses, at every hop, without connecting', () => {
  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://2852039166/latest/meta-data/',
    'http://0xa9fea9fe/',
    'http://[::ffff:a9fe:a9fe]/',
    'http://[64:ff9b::a9fe:a9fe]/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://meta-alias.test/',
    'http://127.0.0.1/',
    'http://0x7f.1/',
    'http://[::1]/',
    'http://localhost/',
    'http://loop.test/',
    'http://10.77.0.5/',
    'http://012.0115.0.05/',
    'https://192.168.77.5/',
    'http://100.64.7.7/',
    'http://priv.test/',
    'http://mixed.test/',
  ])('a direct fetch of %s', async (url) => {
    expect((await refused(url)).code).toBe('denied');
  });

  it.each([
    'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
    'http://0251.0376.0251.0376/',
    'http://metadata.google.internal/',
    'http://127.0.0.1/',
    'http://[::ffff:127.0.0.1]/',
    'http://10.77.0.5/',
    'http://priv.test/',
    'http://other.test:8080/',
  ])('a redirect from the public server to %s', async (target) => {
    const before = world.publicHttp.requests.length;
    const failure = await refused(redirectTo(target));
    expect(failure.code).toBe('denied');
    expect(world.publicHttp.requests.length - before).toBe(1);
  });

  it.each(['file:///etc/passwd', 'ftp://public.test/', 'gopher://127.0.0.1:6379/_INFO'])('a redirect to the %s scheme', async (target) => {
    const failure = await refused(redirectTo(target));
    expect(failure.code).toBe('invalid_target');
    expect(failure.message).toMatch(/only http and https URLs can be fetched/);
  });

  it('a redirect to a host outside allowed_hosts under limited networking', async () => {
    const limited: NetworkPolicyOptions = { networking: { type: 'limited', allowed_hosts: ['public.test'] } };
    expect(await fetched('http://public.test/hello', undefined, limited)).toMatchObject({ status: 200 });
    const before = world.publicHttp.connections;
    const failure = await refused(redirectTo('http://other.test/hello'), undefined, limited);
    expect(failure).toEqual({ ok: false, code: 'denied', message: "other.test is not in this environment's allowed hosts (networking is limited)" });
    expect(world.publicHttp.connections - before).toBe(1);
  });

  it('a name that rebinds to a private address after its first lookup', async () => {
    expect(await fetched('http://rebind-b.test/hello')).toMatchObject({ status: 200, address: PUBLIC });
    const failure = await refused('http://rebind-b.test/hello');
    expect(failure.code).toBe('denied');
    expect(failure.message).toMatch(/rebind-b\.test resolves to 10\.77\.0\.5, which is private/);
  });

  it('a redirect to the same name once it has rebound', async () => {
    const failure = await refused('http://rebind-c.test/redirect?to=/hello');
    expect(failure.code).toBe('denied');
    expect((await world.agent.resolverCalls()).filter((name) => name === 'rebind-c.test')).toHaveLength(2);
  });
});
