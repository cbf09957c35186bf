/**
 * The egress proxy inside a private network (see `fixtures/world.ts`): it reaches the allowed
 * public server, and refuses the metadata service, the edge's own loopback and addresses, private
 * addresses, IP literals in every notation and a rebinding name, none of which ever sees a
 * connection. Needs root (namespaces); it never sends a packet outside the namespaces it creates.
 */
import { Agent as HttpAgent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { NetworkPolicyOptions } from '../../src/network/policy.js';
import type { ProxyTuning } from './fixtures/agent-protocol.js';
import { connectThrough, getOverTunnel, readAll, requestThrough } from './fixtures/proxy-client.js';
import { createWorld, METADATA, PRIVATE, PUBLIC, type World } from './fixtures/world.js';

const UNRESTRICTED: NetworkPolicyOptions = { networking: { type: 'unrestricted' } };

let world: World;
let proxyCount = 0;

beforeAll(async () => {
  world = await createWorld();
});

afterAll(async () => {
  await world?.destroy();
});

let trapsBefore: ReturnType<World['trapConnections']>;
beforeEach(() => {
  trapsBefore = world.trapConnections();
});

afterEach(() => {
  // Every test, allowed or not, leaves every trap untouched.
  expect(world.trapConnections()).toEqual(trapsBefore);
});

async function startProxy(policy: NetworkPolicyOptions = UNRESTRICTED, options?: ProxyTuning): Promise<string> {
  proxyCount += 1;
  const socketPath = join(world.dir, `egress-${proxyCount}.sock`);
  await world.agent.startProxy(socketPath, policy, options);
  return socketPath;
}

describe('the egress proxy reaches allowed destinations', () => {
  it('tunnels HTTPS to a name through CONNECT, with TLS for the name end to end', async () => {
    const proxy = await startProxy();
    const before = world.publicHttps.requests.length;
    const tunnel = await connectThrough(proxy, 'public.test:443');
    expect(tunnel.status).toBe(200);
    const secure = tlsConnect({ socket: tunnel.socket, servername: 'public.test', ca: world.cert });
    await new Promise((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    secure.write('GET /hello HTTP/1.1\r\nHost: public.test\r\nConnection: close\r\n\r\n');
    expect(await readAll(secure as unknown as Socket)).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*hello from public$/);
    expect(world.publicHttps.requests.slice(before)).toMatchObject([{ url: '/hello', servername: 'public.test' }]);
    expect(await world.agent.decisions(proxy)).toMatchObject([
      { method: 'CONNECT', host: 'public.test', port: 443, outcome: 'allowed', address: PUBLIC, reason: 'public.test:443 is allowed (unrestricted networking)' },
    ]);
  });

  it.each([PUBLIC, '16909060', '0x01020304', '1.0x02.03.4', '1.131844', `[::ffff:${PUBLIC}]`, '[::ffff:102:304]'])(
    'tunnels to the public address written %s',
    async (host) => {
      const proxy = await startProxy();
      const tunnel = await connectThrough(proxy, `${host}:80`);
      expect(tunnel.status).toBe(200);
      expect(await getOverTunnel(tunnel.socket, 'public.test', '/hello')).toMatch(/hello from public$/);
      expect(await world.agent.decisions(proxy)).toMatchObject([{ outcome: 'allowed', address: PUBLIC }]);
    },
  );

  it('delivers every byte when the destination closes right after a large response', async () => {
    const proxy = await startProxy();
    const tunnel = await connectThrough(proxy, 'public.test:80');
    tunnel.socket.write('GET /big HTTP/1.1\r\nHost: public.test\r\nConnection: close\r\n\r\n');
    // A slow reader: the proxy still holds unsent data when the destination hangs up.
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      tunnel.socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        tunnel.socket.pause();
        setTimeout(() => tunnel.socket.resume(), 2);
      });
      tunnel.socket.on('error', reject);
      tunnel.socket.on('close', () => resolve());
    });
    expect(received).toBeGreaterThan(1024 * 1024);
    expect(received).toBeLessThan(1024 * 1024 + 200);
  });

  it('answers a client that shuts down its sending side after the request', async () => {
    const proxy = await startProxy();
    const tunnel = await connectThrough(proxy, 'public.test:80');
    tunnel.socket.end('GET /hello HTTP/1.1\r\nHost: public.test\r\n\r\n');
    expect(await readAll(tunnel.socket)).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*hello from public$/);
  });

  it('forwards plain HTTP, stripping hop-by-hop and Proxy-* headers both ways', async () => {
    const proxy = await startProxy();
    const reply = await requestThrough(proxy, 'http://public.test/echo', {
      headers: {
        host: 'attacker-chosen.example',
        'proxy-authorization': 'Basic c2VjcmV0',
        'proxy-connection': 'keep-alive',
        connection: 'keep-alive, x-hop',
        'x-hop': 'must not pass',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        'x-end-to-end': 'passes',
      },
    });
    expect(reply.status).toBe(200);
    const seen = JSON.parse(reply.body) as Record<string, string>;
    expect(seen.host).toBe('public.test');
    expect(seen['x-end-to-end']).toBe('passes');
    for (const name of ['proxy-authorization', 'proxy-connection', 'x-hop', 'keep-alive', 'te']) expect(seen, name).not.toHaveProperty(name);
    expect(seen.connection).toBe('close');

    const hop = await requestThrough(proxy, 'http://public.test/hop');
    expect(hop.body).toBe('hop');
    expect(hop.headers['x-kept']).toBe('1');
    for (const name of ['x-upstream-hop', 'keep-alive', 'proxy-authenticate']) expect(hop.headers, name).not.toHaveProperty(name);
  });

  it('decides every request on a kept-alive connection afresh', async () => {
    const proxy = await startProxy();
    const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    let opened = 0;
    (agent as unknown as { createConnection: () => Socket }).createConnection = () => {
      opened += 1;
      return connect(proxy);
    };
    const get = (url: string): Promise<[number, string]> =>
      new Promise((resolve, reject) => {
        request({ agent, path: url, setHost: false, headers: { host: new URL(url).host } }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve([res.statusCode ?? 0, body]));
        })
          .on('error', reject)
          .end();
      });
    expect(await get('http://public.test/hello')).toEqual([200, 'hello from public']);
    const [status, body] = await get(`http://${METADATA}/latest/meta-data/`);
    agent.destroy();
    expect(status).toBe(403);
    expect(body).toMatch(/cloud metadata service/);
    expect(opened).toBe(1);
  });

  it('tries the next checked address when the first refuses', async () => {
    const proxy = await startProxy();
    const tunnel = await connectThrough(proxy, 'multi.test:80');
    expect(tunnel.status).toBe(200);
    tunnel.socket.destroy();
    expect(await world.agent.decisions(proxy)).toMatchObject([{ outcome: 'allowed', address: PUBLIC }]);
  });

  it('reports a refused connection as 502 and a silent destination as 504', async () => {
    const proxy = await startProxy(UNRESTRICTED, { connectTimeoutMs: 300 });
    const refused = await connectThrough(proxy, 'refused.test:80');
    expect(refused.status).toBe(502);
    expect(refused.headers['proxy-status']).toMatch(/error=destination_unavailable/);
    const silent = await connectThrough(proxy, 'silent.test:80');
    expect(silent.status).toBe(504);
    expect(await world.agent.decisions(proxy)).toMatchObject([
      { outcome: 'failed', code: 'connect_failed' },
      { outcome: 'failed', code: 'timeout' },
    ]);
  });

  it('allows only the listed hosts under limited networking', async () => {
    const proxy = await startProxy({ networking: { type: 'limited', allowed_hosts: ['public.test'], allow_package_managers: true } });
    const publicConnections = () => world.publicHttp.connections + world.publicHttps.connections;
    const atStart = publicConnections();
    const allowed = await connectThrough(proxy, 'public.test:443');
    expect(allowed.status).toBe(200);
    allowed.socket.destroy();
    // The tunnel is up once the kernel has the connection; the server counts it a moment later.
    await vi.waitFor(() => expect(publicConnections()).toBe(atStart + 1));
    const connectionsBefore = publicConnections();
    for (const target of ['other.test:443', `${PUBLIC}:443`, 'public.test:8080']) {
      const refused = await connectThrough(proxy, target);
      expect(refused.status, target).toBe(403);
    }
    expect((await requestThrough(proxy, 'http://other.test/hello')).status).toBe(403);
    expect(publicConnections()).toBe(connectionsBefore);
    expect((await world.agent.decisions(proxy)).map((entry) => entry.reason)).toEqual([
      'public.test:443 is allowed by public.test (allowed_hosts)',
      "other.test is not in this environment's allowed hosts (networking is limited)",
      "1.2.3.4 is not in this environment's allowed hosts (networking is limited)",
      'port 8080 of public.test is not allowed (allowed ports: 80, 443)',
      "other.test is not in this environment's allowed hosts (networking is limited)",
    ]);
  });

  it('close() ends every open tunnel', async () => {
    const proxy = await startProxy();
    const tunnels = await Promise.all([connectThrough(proxy, 'public.test:80'), connectThrough(proxy, 'public.test:443')]);
    expect(tunnels.map((tunnel) => tunnel.status)).toEqual([200, 200]);
    const closed = tunnels.map((tunnel) => readAll(tunnel.socket));
    await world.agent.closeProxy(proxy);
    await Promise.all(closed);
    expect(tunnels.every((tunnel) => tunnel.socket.destroyed)).toBe(true);
    await expect(connectThrough(proxy, 'public.test:80')).rejects.toThrow(/ENOENT|ECONNREFUSED/);
  });
});

describe('the egress proxy refuses, without connecting', () => {
  const metadataSpellings = [
    METADATA,
    '2852039166',
    '0xa9fea9fe',
    '0251.0376.0251.0376',
    '169.16689662',
    '169.254.43518',
    '0xa9.254.0251.0xfe',
    `[::ffff:${METADATA}]`,
    '[::ffff:a9fe:a9fe]',
    '[::a9fe:a9fe]',
    '[64:ff9b::a9fe:a9fe]',
    '[64:ff9b::169.254.169.254]',
    '[2002:a9fe:a9fe::1]',
    'metadata.google.internal',
    'metadata',
    'meta-alias.test',
    'mapped-meta.test',
  ];

  it.each(metadataSpellings)('CONNECT to the metadata service as %s', async (host) => {
    const proxy = await startProxy();
    const reply = await connectThrough(proxy, `${host}:80`);
    expect(reply.status).toBe(403);
    expect(reply.body).toMatch(/metadata/);
  });

  it.each(['http://169.254.169.254/latest/meta-data/', 'http://0xa9fea9fe/latest/meta-data/', 'http://[::ffff:a9fe:a9fe]/', 'http://metadata.google.internal/computeMetadata/v1/'])(
    'plain GET %s',
    async (url) => {
      const proxy = await startProxy();
      const reply = await requestThrough(proxy, url, { headers: { 'metadata-flavor': 'Google' } });
      expect(reply.status).toBe(403);
      expect(reply.body).toMatch(/metadata/);
    },
  );

  it('denies reserved names before resolving them', async () => {
    const proxy = await startProxy();
    expect((await connectThrough(proxy, 'metadata.google.internal:80')).status).toBe(403);
    expect(await world.agent.resolverCalls()).not.toContain('metadata.google.internal');
  });

  it.each([
    '127.0.0.1',
    '2130706433',
    '0x7f.1',
    '0177.0.0.1',
    '127.1',
    '[::1]',
    `[::ffff:127.0.0.1]`,
    '[64:ff9b::7f00:1]',
    '[2002:7f00:1::]',
    '0.0.0.0',
    '0',
    '[::]',
    'localhost',
    'loop.test',
    '10.200.0.1',
  ])('CONNECT to the edge itself as %s', async (host) => {
    const proxy = await startProxy();
    expect((await connectThrough(proxy, `${host}:80`)).status).toBe(403);
  });

  it.each([...PRIVATE, '0x0a4d0005', '012.0115.0.05', '10.5046277', '[::ffff:10.77.0.5]', '[64:ff9b::a4d:5]', '[2002:a4d:5::1]', 'priv.test', 'mixed.test'])(
    'CONNECT to the private address %s',
    async (host) => {
      const proxy = await startProxy();
      const reply = await connectThrough(proxy, `${host}:443`);
      expect(reply.status).toBe(403);
      expect(reply.body).toMatch(/private|carrier-grade NAT/);
    },
  );

  it('a name that rebinds from a public to a private address between lookups', async () => {
    const proxy = await startProxy();
    const first = await connectThrough(proxy, 'rebind-a.test:80');
    expect(first.status).toBe(200);
    expect(await getOverTunnel(first.socket, 'rebind-a.test', '/hello')).toMatch(/hello from public$/);
    const second = await connectThrough(proxy, 'rebind-a.test:80');
    expect(second.status).toBe(403);
    expect(second.body).toMatch(/rebind-a\.test resolves to 10\.77\.0\.5, which is private/);
    const third = await requestThrough(proxy, 'http://rebind-a.test/hello');
    expect(third.status).toBe(403);
    expect((await world.agent.resolverCalls()).filter((name) => name === 'rebind-a.test')).toHaveLength(3);
  });
});
