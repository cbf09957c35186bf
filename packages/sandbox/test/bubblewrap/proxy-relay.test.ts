import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BubblewrapProvider, ProvidedSandbox } from '@longhand/sandbox';
import { bubblewrapProvider, removeRoots, sandboxId } from '../support/providers.js';

/** Listens on a Unix socket that only `uid` may connect to, in a directory it can traverse. */
async function listenFor<T extends Server | NetServer>(server: T, dir: string, name: string, owner: { uid: number; gid: number }): Promise<string> {
  const path = join(dir, name);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  chownSync(path, owner.uid, owner.gid);
  chmodSync(path, 0o600);
  return path;
}

describe('egress relay', () => {
  let provider: BubblewrapProvider;
  let dir: string;
  const servers: (Server | NetServer)[] = [];
  const sandboxes: ProvidedSandbox[] = [];

  beforeAll(async () => {
    provider = await bubblewrapProvider();
    dir = mkdtempSync(join(tmpdir(), 'longhand-proxy-'));
    chmodSync(dir, 0o711);
  });
  afterAll(async () => {
    await Promise.all(sandboxes.map((s) => s.close()));
    for (const server of servers) server.close();
    rmSync(dir, { recursive: true, force: true });
    removeRoots();
  });

  it('relays 127.0.0.1:3128 inside to the proxy socket, and points HTTP(S)_PROXY at it', async () => {
    const id = sandboxId();
    const seen: string[] = [];
    const proxy = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.end(`proxied ${req.url}`);
    });
    servers.push(proxy);
    const socketPath = await listenFor(proxy, dir, 'http.sock', await provider.identity(id));
    const sandbox = await provider.open(id, { proxySocketPath: socketPath });
    sandboxes.push(sandbox);
    const result = await sandbox.shell('echo "$HTTP_PROXY $HTTPS_PROXY $http_proxy $https_proxy"; curl -sS --max-time 10 http://example.test/some/path');
    expect(result.output).toBe(
      'http://127.0.0.1:3128 http://127.0.0.1:3128 http://127.0.0.1:3128 http://127.0.0.1:3128\nproxied http://example.test/some/path',
    );
    expect(seen).toEqual(['GET http://example.test/some/path']);
  });

  it('pipes raw bytes both ways, each connection separately', async () => {
    const id = sandboxId();
    const echo = createNetServer((socket) => socket.pipe(socket));
    servers.push(echo);
    const socketPath = await listenFor(echo, dir, 'echo.sock', await provider.identity(id));
    const sandbox = await provider.open(id, { proxySocketPath: socketPath });
    sandboxes.push(sandbox);
    const script = [
      'import socket',
      'for word in (b"first", b"second"):',
      '    s = socket.create_connection(("127.0.0.1", 3128), timeout=10)',
      '    s.sendall(word + bytes(range(256)))',
      '    got = b""',
      '    while len(got) < len(word) + 256:',
      '        got += s.recv(4096)',
      '    print(word.decode(), got == word + bytes(range(256)))',
      '    s.close()',
    ].join('\n');
    await sandbox.writeFile('/workspace/echo.py', script);
    expect((await sandbox.shell('python3 /workspace/echo.py')).output).toBe('first True\nsecond True\n');
  });

  it('listens on nothing without a proxy socket', async () => {
    const sandbox = await provider.open(sandboxId());
    sandboxes.push(sandbox);
    const result = await sandbox.shell('(echo > /dev/tcp/127.0.0.1/3128) 2>&1 | grep -o "Connection refused" | sort -u; echo "[$HTTPS_PROXY]"');
    expect(result.output).toBe('Connection refused\n[]\n');
  });
});
