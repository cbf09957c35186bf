/**
 * Operator origins: the one way past the rule that nothing but public addresses is reachable,
 * for exactly the host and port an operator configured (a package mirror on loopback or an
 * internal network), and only in a policy built with them. Tests touch this host's loopback only.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEgressProxy, type EgressProxy } from '../../src/network/egress-proxy.js';
import { parseIpLiteral } from '../../src/network/ip-literal.js';
import { createNetworkPolicy, type NetworkPolicy, type OperatorOrigin } from '../../src/network/policy.js';
import type { Resolver } from '../../src/network/resolve.js';
import { connectThrough, requestThrough } from './fixtures/proxy-client.js';
import { serveHttp, type Recorder } from './fixtures/servers.js';

const loopback = (origins: OperatorOrigin[], type: 'unrestricted' | 'limited' = 'unrestricted'): NetworkPolicy =>
  createNetworkPolicy({ networking: type === 'limited' ? { type, allowed_hosts: [] } : { type }, operatorOrigins: origins });

describe('a policy with operator origins', () => {
  const policy = loopback([{ host: '127.0.0.1', port: 4873 }, { host: 'mirror.internal', port: 8081 }, { host: '[fd00::5]', port: 80 }], 'limited');

  it('allows exactly those hosts and ports, at private addresses and under limited networking', () => {
    expect(policy.checkHost('127.0.0.1', 4873)).toMatchObject({ allowed: true, reason: '127.0.0.1:4873 is an origin the operator configured (a package mirror)' });
    expect(policy.checkHost('[fd00::5]', 80).allowed).toBe(true);
    expect(policy.checkHost('MIRROR.internal', 8081).allowed).toBe(true);
    expect(policy.checkAddress('mirror.internal', parseIpLiteral('10.0.0.5')!, 8081).allowed).toBe(true);
  });

  it('allows nothing else there: other ports, other loopback services, the same name on another port', () => {
    expect(policy.checkHost('127.0.0.1', 4874)).toMatchObject({ allowed: false, reason: expect.stringMatching(/loopback/) });
    expect(policy.checkHost('127.0.0.2', 4873).allowed).toBe(false);
    expect(policy.checkHost('localhost', 4873).allowed).toBe(false);
    expect(policy.checkHost('[fd00::5]', 443).allowed).toBe(false);
    expect(policy.checkAddress('mirror.internal', parseIpLiteral('10.0.0.5')!, 443).allowed).toBe(false);
    expect(policy.checkAddress('mirror.internal', parseIpLiteral('10.0.0.5')!).allowed).toBe(false);
    expect(policy.checkAddress('other.internal', parseIpLiteral('10.0.0.5')!, 8081).allowed).toBe(false);
  });

  it('are never part of a policy built without them', () => {
    const session = createNetworkPolicy({ networking: { type: 'unrestricted' }, ports: 'any' });
    expect(session.checkHost('127.0.0.1', 4873).allowed).toBe(false);
  });

  it('refuses an origin that is not a host', () => {
    expect(() => loopback([{ host: 'exa mple', port: 80 }])).toThrow(/operator origin/);
    expect(() => loopback([{ host: '10.0.0.5', port: 0 }])).toThrow(/invalid port/);
  });
});

describe('the egress proxy with an operator origin', () => {
  let dir: string;
  let mirror: Recorder;
  let port: number;
  const proxies: EgressProxy[] = [];
  const resolver: Resolver = async () => ['127.0.0.1'];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'longhand-operator-origins-'));
    const handle = createServer();
    await new Promise<void>((resolve) => handle.listen(0, '127.0.0.1', resolve));
    port = (handle.address() as { port: number }).port;
    mirror = await serveHttp(handle, (_req, res) => res.end('a package'));
  });
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  });
  afterAll(async () => {
    await mirror?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function start(policy: NetworkPolicy): Promise<EgressProxy> {
    const proxy = await startEgressProxy({ socketPath: join(dir, `p-${proxies.length}.sock`), policy, resolver });
    proxies.push(proxy);
    return proxy;
  }

  it("reaches the mirror on this host's loopback, by address and by name", async () => {
    const proxy = await start(loopback([{ host: '127.0.0.1', port }, { host: 'mirror.test', port }]));
    expect(await requestThrough(proxy.socketPath, `http://127.0.0.1:${port}/left-pad`)).toMatchObject({ status: 200, body: 'a package' });
    expect(await requestThrough(proxy.socketPath, `http://mirror.test:${port}/left-pad`)).toMatchObject({ status: 200, body: 'a package' });
    const tunnel = await connectThrough(proxy.socketPath, `127.0.0.1:${port}`);
    expect(tunnel.status).toBe(200);
    tunnel.socket.destroy();
  });

  it("does not reach it from a session's proxy, whose policy has no operator origins", async () => {
    const before = mirror.connections;
    const proxy = await start(createNetworkPolicy({ networking: { type: 'unrestricted' }, ports: 'any' }));
    expect((await requestThrough(proxy.socketPath, `http://127.0.0.1:${port}/left-pad`)).status).toBe(403);
    expect((await connectThrough(proxy.socketPath, `127.0.0.1:${port}`)).status).toBe(403);
    expect(mirror.connections).toBe(before);
  });
});
