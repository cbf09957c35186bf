/**
 * The proxy in this process, against a service on this host's loopback: everything here must be
 * refused without the service ever seeing a connection. Only spellings of local addresses are
 * tried here, so that even a broken proxy could not send a packet off this host; forms that would
 * leave it (NAT64, 6to4, public addresses) are tried inside namespaces, in
 * `egress-proxy.netns.test.ts`, along with everything that needs an allowed destination.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEgressProxy, type EgressLogEntry, type EgressProxy, type EgressProxyOptions } from '../../src/network/egress-proxy.js';
import { createNetworkPolicy } from '../../src/network/policy.js';
import type { Resolver } from '../../src/network/resolve.js';
import { connectThrough, rawExchange, readAll, requestThrough } from './fixtures/proxy-client.js';
import { serveHttp, type Recorder } from './fixtures/servers.js';

// Any port, so that every refusal below is the address rule's doing, not the port rule's.
const policy = createNetworkPolicy({ networking: { type: 'unrestricted' }, ports: 'any' });
const names: Record<string, string[]> = { 'loop.test': ['127.0.0.1'] };
const resolver: Resolver = async (name) => {
  const answer = names[name];
  if (!answer) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return answer;
};

let dir: string;
let loopback: Recorder;
let port: number;
const proxies: EgressProxy[] = [];

async function proxy(options: Partial<EgressProxyOptions> = {}): Promise<{ proxy: EgressProxy; log: EgressLogEntry[] }> {
  const log: EgressLogEntry[] = [];
  const started = await startEgressProxy({
    socketPath: join(dir, `proxy-${proxies.length}.sock`),
    policy,
    resolver,
    onDecision: (entry) => log.push(entry),
    ...options,
  });
  proxies.push(started);
  return { proxy: started, log };
}

function listening(server: Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'longhand-egress-'));
  const handle = createServer();
  await listening(handle);
  port = (handle.address() as { port: number }).port;
  loopback = await serveHttp(handle, (_req, res) => res.end('loopback secret'));
});

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((started) => started.close()));
});

afterAll(async () => {
  await loopback?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the egress proxy, refusing this host', () => {
  it('answers CONNECT to a loopback service with 403 and the reason, and never connects', async () => {
    const { proxy: started, log } = await proxy();
    const reply = await connectThrough(started.socketPath, `127.0.0.1:${port}`);
    expect(reply.status).toBe(403);
    expect(reply.body).toMatch(/egress denied by the network policy: 127\.0\.0\.1 is loopback \[127\.0\.0\.0\/8\]/);
    expect(reply.headers['proxy-status']).toMatch(/^longhand-egress; error=http_request_denied; details=".*loopback/);
    expect(log).toMatchObject([{ method: 'CONNECT', host: '127.0.0.1', port, outcome: 'denied', code: 'denied' }]);
    expect(loopback.connections).toBe(0);
  });

  it.each([
    '2130706433',
    '0x7f000001',
    '017700000001',
    '0177.0.0.1',
    '0x7f.1',
    '127.1',
    '127.0.1',
    '[::1]',
    '[0:0:0:0:0:0:0:1]',
    '[::ffff:127.0.0.1]',
    '[::ffff:7f00:1]',
    '0.0.0.0',
    '0',
    '[::]',
    'localhost',
    'LOCALHOST.',
    'anything.localhost',
    'loop.test',
  ])('refuses CONNECT %s:<port> to the loopback service', async (host) => {
    const { proxy: started } = await proxy();
    const reply = await connectThrough(started.socketPath, `${host}:${port}`);
    expect(reply.status).toBe(403);
    expect(reply.body).toMatch(/loopback|this network|unspecified|host itself/);
    expect(loopback.connections).toBe(0);
  });

  it.each([`http://127.0.0.1:PORT/`, `http://0x7f.1:PORT/`, `http://2130706433:PORT/`, `http://[::ffff:127.0.0.1]:PORT/`, `http://loop.test:PORT/`])(
    'refuses the plain request GET %s',
    async (template) => {
      const { proxy: started, log } = await proxy();
      const reply = await requestThrough(started.socketPath, template.replace('PORT', String(port)));
      expect(reply.status).toBe(403);
      expect(reply.body).toMatch(/loopback/);
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({ outcome: 'denied', code: 'denied' });
      expect(loopback.connections).toBe(0);
    },
  );
});

describe('the egress proxy, answering bad requests', () => {
  it.each([
    ['an origin-form request', 'GET / HTTP/1.1\r\nHost: example.com\r\n\r\n', /absolute-form/],
    ['an https:// absolute-form request', 'GET https://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n', /use CONNECT/],
    ['an ftp:// request', 'GET ftp://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n', /ftp: URLs are not proxied/],
    ['CONNECT without a port', 'CONNECT example.com HTTP/1.1\r\nHost: example.com\r\n\r\n', /CONNECT needs host:port/],
    ['CONNECT to an unbracketed IPv6 address', 'CONNECT ::1:80 HTTP/1.1\r\n\r\n', /CONNECT needs host:port/],
    ['bytes that are not HTTP', '\x16\x03\x01\x00\xa5garbage\r\n\r\n', /malformed HTTP request/],
  ])('answers %s with 400', async (_what, bytes, reason) => {
    const { proxy: started } = await proxy();
    const reply = await rawExchange(started.socketPath, bytes);
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(reply).toMatch(reason);
  });

  it('answers 403 for a port outside the allowed ones, naming it', async () => {
    const { proxy: started } = await proxy({ policy: createNetworkPolicy({ networking: { type: 'unrestricted' } }) });
    const reply = await connectThrough(started.socketPath, 'example.com:25');
    expect(reply.status).toBe(403);
    expect(reply.body).toMatch(/port 25 of example\.com is not allowed \(allowed ports: 80, 443\)/);
  });

  it('answers 502 with Proxy-Status dns_error when a name does not resolve', async () => {
    const { proxy: started, log } = await proxy();
    const reply = await connectThrough(started.socketPath, 'nowhere.test:443');
    expect(reply.status).toBe(502);
    expect(reply.headers['proxy-status']).toMatch(/error=dns_error/);
    expect(log).toMatchObject([{ outcome: 'failed', code: 'dns_failed' }]);
  });

  it('answers 504 when resolving takes longer than the connect timeout', async () => {
    const { proxy: started, log } = await proxy({ resolver: () => new Promise(() => undefined), connectTimeoutMs: 50 });
    const reply = await connectThrough(started.socketPath, 'slow.test:443');
    expect(reply.status).toBe(504);
    expect(reply.headers['proxy-status']).toMatch(/error=connection_timeout/);
    expect(log).toMatchObject([{ outcome: 'failed', code: 'timeout' }]);
  });

  it('keeps working when the decision log throws', async () => {
    const { proxy: started } = await proxy({
      onDecision: () => {
        throw new Error('logger down');
      },
    });
    expect((await connectThrough(started.socketPath, `127.0.0.1:${port}`)).status).toBe(403);
    expect((await connectThrough(started.socketPath, `127.0.0.1:${port}`)).status).toBe(403);
  });
});

describe('the egress proxy, as a resource', () => {
  it('answers 503 above the connection cap and serves again once a connection closes', async () => {
    const { proxy: started } = await proxy({ maxConnections: 2 });
    const idle = [connect(started.socketPath), connect(started.socketPath)];
    await Promise.all(idle.map((socket) => new Promise((resolve) => socket.once('connect', resolve))));
    await until(() => started.activeConnections === 2);
    expect(await rawExchange(started.socketPath, '')).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n[\s\S]*too many concurrent connections \(limit 2\)/);
    idle[0]!.destroy();
    await until(() => started.activeConnections === 1);
    expect((await connectThrough(started.socketPath, `127.0.0.1:${port}`)).status).toBe(403);
    idle[1]!.destroy();
  });

  it('closes a connection that stays silent past the idle timeout', async () => {
    const { proxy: started } = await proxy({ idleTimeoutMs: 50 });
    const silent = connect(started.socketPath);
    expect(await readAll(silent)).toBe('');
    expect(silent.destroyed).toBe(true);
  });

  it('creates its socket with mode 0600 by default, or the mode and owner asked for', async () => {
    const { proxy: first } = await proxy();
    expect((await stat(first.socketPath)).mode & 0o777).toBe(0o600);
    const { proxy: second } = await proxy({ socketMode: 0o660, socketOwner: { uid: 4321, gid: 4322 } });
    const info = await stat(second.socketPath);
    expect(info.mode & 0o777).toBe(0o660);
    expect([info.uid, info.gid]).toEqual([4321, 4322]);
  });

  it('replaces a stale socket file but refuses to replace anything else', async () => {
    // A process that exits while listening leaves its socket file behind, as a crashed proxy would.
    const stalePath = join(dir, 'stale.sock');
    const child = spawnSync(process.execPath, ['-e', 'require("node:net").createServer().listen(process.argv[1], () => process.exit(0))', stalePath]);
    expect(child.status).toBe(0);
    expect((await stat(stalePath)).isSocket()).toBe(true);
    const { proxy: replaced } = await proxy({ socketPath: stalePath });
    expect((await connectThrough(replaced.socketPath, `127.0.0.1:${port}`)).status).toBe(403);
    await writeFile(join(dir, 'not-a-socket'), 'data');
    await expect(proxy({ socketPath: join(dir, 'not-a-socket') })).rejects.toThrow(/exists and is not a socket/);
  });

  it('close() drops open client connections, stops listening and removes the socket file', async () => {
    const { proxy: started } = await proxy();
    const client = connect(started.socketPath);
    await new Promise((resolve) => client.once('connect', resolve));
    await until(() => started.activeConnections === 1);
    const ended = readAll(client);
    await started.close();
    await ended;
    await expect(stat(started.socketPath)).rejects.toThrow(/ENOENT/);
    await started.close();
  });
});

/** Waits until `condition` holds (the test's own timeout bounds the wait). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
