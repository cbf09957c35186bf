/**
 * A private stand-in for "the rest of the network", built by the security suite. The server runs
 * in this test process, in the host's network namespace, so its egress proxy and its web_fetch
 * connect from there: to give them somewhere to connect, one namespace is created and linked to
 * the host by a veth pair, and exactly the addresses the tests use are routed into it (one /32
 * route each). Nothing else of the host's networking changes, no address is added to the host,
 * and a packet sent to one of these addresses can only ever land in this namespace.
 *
 * Names carry this process's pid and a random tag, so parallel runs never collide; what a killed
 * run left behind (its pid is gone) is removed by the next one.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PREFIX = 'lhsec';

/** One namespace reachable from the host at `addresses`. */
export interface Netns {
  /** The namespace's name (for `ip netns exec`). */
  readonly name: string;
  /** IPv4 addresses owned by the namespace and routed to it from the host. */
  readonly addresses: readonly string[];
  /** Opens a listening TCP socket on `host:port` inside the namespace, served by this process. */
  listen(host: string, port: number): Promise<Server>;
  /** Removes the routes, the veth pair and the namespace. Idempotent; never throws. */
  destroy(): Promise<void>;
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args);
}

/**
 * Creates the namespace, gives it `addresses` and routes each of them to it from the host.
 * @throws when an address is already routed more specifically than by the default route (so a
 *   test never hijacks a route the host relies on), or when iproute2 fails
 */
export async function createNetns(addresses: readonly string[]): Promise<Netns> {
  await removeAbandoned();
  for (const address of addresses) await assertUnclaimed(address);
  const tag = randomBytes(3).toString('hex');
  const name = `${PREFIX}-${process.pid}-${tag}`;
  // Interface names have at most 15 characters.
  const hostEnd = `lhs${tag}h`;
  const nsEnd = `lhs${tag}n`;
  const undo: Array<() => Promise<void>> = [];
  let destroyed: Promise<void> | undefined;
  const netns: Netns = {
    name,
    addresses,
    listen: (host, port) => listenIn(name, host, port),
    destroy() {
      destroyed ??= (async () => {
        for (const step of undo.splice(0).reverse()) await step().catch(() => undefined);
      })();
      return destroyed;
    },
  };
  try {
    await ip('netns', 'add', name);
    undo.push(() => ip('netns', 'del', name));
    await ip('-n', name, 'link', 'set', 'lo', 'up');
    // Created in the host with its peer already inside the namespace; deleting the host end
    // deletes both.
    await ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', nsEnd, 'netns', name);
    undo.push(() => ip('link', 'del', hostEnd));
    await ip('link', 'set', hostEnd, 'up');
    await ip('-n', name, 'link', 'set', nsEnd, 'up');
    for (const address of addresses) await ip('-n', name, 'addr', 'add', `${address}/32`, 'dev', nsEnd);
    // Replies go back over the veth, whichever host address the connection came from.
    await ip('-n', name, 'route', 'add', 'default', 'dev', nsEnd);
    for (const address of addresses) {
      await ip('route', 'add', `${address}/32`, 'dev', hostEnd);
      undo.push(() => ip('route', 'del', `${address}/32`, 'dev', hostEnd));
    }
  } catch (error) {
    await netns.destroy();
    throw error;
  }
  return netns;
}

/** Refuses an address the host already routes anywhere but through its default route. */
async function assertUnclaimed(address: string): Promise<void> {
  if (await routedSpecifically(address)) throw new Error(`the host already routes ${address}; refusing to take it over`);
}

/** Whether the host routes `address` anywhere but through its default route (a LAN, a VPN…). */
export async function routedSpecifically(address: string): Promise<boolean> {
  const { stdout } = await run('ip', ['-4', 'route', 'show', 'table', 'all', 'to', 'match', address]);
  return stdout
    .split('\n')
    .some((line) => line.trim() !== '' && !line.startsWith('default') && !line.includes('table local') && !/^(broadcast|local) /.test(line));
}

/**
 * Binds a TCP socket inside namespace `ns` and hands it to this process: a short-lived node child
 * started with `ip netns exec` listens and sends the listening handle over IPC, then exits. The
 * socket stays in the namespace it was created in; this process accepts its connections.
 */
function listenIn(ns: string, host: string, port: number): Promise<Server> {
  const source = [
    "const server = require('node:net').createServer();",
    "server.on('error', (e) => { process.stderr.write(String(e)); process.exit(1); });",
    "server.listen({ host: process.argv[1], port: Number(process.argv[2]) }, () => process.send('ready', server, () => process.exit(0)));",
  ].join('\n');
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', source, host, String(port)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('message', (_message, handle) => resolve(handle as Server));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`could not listen on ${host}:${port} in ${ns} (exit ${code}): ${stderr}`)));
  });
}

/** Deletes what runs killed before their clean-up left behind: namespaces, routes, veths. */
async function removeAbandoned(): Promise<void> {
  const { stdout } = await run('ip', ['netns', 'list']);
  for (const line of stdout.split('\n')) {
    const match = new RegExp(`^${PREFIX}-(\\d+)-([0-9a-f]{6})`).exec(line);
    if (!match || alive(Number(match[1]))) continue;
    // The host end (and with it every route through it) goes with the link.
    await ip('link', 'del', `lhs${match[2]}h`).catch(() => undefined);
    await ip('netns', 'del', match[0]).catch(() => undefined);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
