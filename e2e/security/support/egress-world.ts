/**
 * The destinations of the egress tests:
 *
 *   host namespace (the server, its egress proxies, web_fetch)
 *     127.r.r.r:80 and :443     loopback traps (a host service no sandbox may reach)
 *     └─ veth ─ test namespace
 *          PUBLIC:80            the allowed "public" server (a random public-looking address)
 *          169.254.169.254      a fake metadata service: a trap on :80 and :443
 *          10/8, 172.16/12, 192.168/16, 100.64/10 addresses: traps on :80 and :443
 *
 * Each address is routed into the namespace only, so if the policy let a connection through it
 * would succeed and the trap would count it: "0 connections" then proves the refusal.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { createNetns, routedSpecifically, type Netns } from './netns.js';
import { serveHttp, serveTrap, type Recorder } from './servers.js';

export const METADATA = '169.254.169.254';

export interface EgressWorld {
  /** The allowed destination's address (public unicast, routed into the test namespace). */
  readonly publicAddress: string;
  /** What the public server's `/hello` answers. */
  readonly publicGreeting: string;
  readonly publicServer: Recorder;
  /** A loopback address of the host with traps on :80 and :443. */
  readonly loopback: string;
  /** RFC 1918 and CGNAT addresses with traps, by range. */
  readonly privateAddresses: Readonly<Record<'10/8' | '172.16/12' | '192.168/16' | '100.64/10', string>>;
  /** What every trap answers: it must never appear in any output. */
  readonly trapSecret: string;
  /** Connections each group of traps accepted since it was proven reachable; all must stay 0. */
  trapConnections(): { loopback: number; metadata: number; private: number };
  destroy(): Promise<void>;
}

const octet = (low = 1, high = 254): number => randomInt(low, high + 1);

/** A random address from `make()` that the host does not route specifically. */
async function unclaimed(make: () => string): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const address = make();
    if (!(await routedSpecifically(address))) return address;
  }
  throw new Error('found no free address to route into the test namespace');
}

/** Builds the world; on any failure, removes what was built. */
export async function createEgressWorld(): Promise<EgressWorld> {
  const undo: Array<() => Promise<unknown>> = [];
  const destroy = async (): Promise<void> => {
    for (const step of undo.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    const trapSecret = `trap-secret-${randomBytes(8).toString('hex')}`;
    const publicGreeting = `hello from public ${randomBytes(8).toString('hex')}`;
    const publicAddress = await unclaimed(() => `1.2.${octet()}.${octet()}`);
    const privateAddresses = {
      '10/8': await unclaimed(() => `10.${octet()}.${octet()}.${octet()}`),
      '172.16/12': await unclaimed(() => `172.${octet(16, 31)}.${octet()}.${octet()}`),
      '192.168/16': await unclaimed(() => `192.168.${octet()}.${octet()}`),
      '100.64/10': await unclaimed(() => `100.${octet(64, 127)}.${octet()}.${octet()}`),
    };
    const netns: Netns = await createNetns([publicAddress, METADATA, ...Object.values(privateAddresses)]);
    undo.push(() => netns.destroy());

    const publicServer = await serveHttp(await netns.listen(publicAddress, 80), (req, res) => {
      const url = new URL(req.url ?? '/', `http://${publicAddress}`);
      if (url.pathname === '/hello') return void res.writeHead(200, { 'content-type': 'text/plain' }).end(publicGreeting);
      if (url.pathname === '/redirect') return void res.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
      res.writeHead(404).end('not here');
    });
    undo.push(() => publicServer.close());

    const traps = { loopback: [] as Recorder[], metadata: [] as Recorder[], private: [] as Recorder[] };
    const loopback = `127.${octet()}.${octet()}.${octet()}`;
    for (const port of [80, 443]) {
      traps.loopback.push(await serveTrap({ host: loopback, port }, trapSecret));
      traps.metadata.push(await serveTrap(await netns.listen(METADATA, port), trapSecret));
      for (const address of Object.values(privateAddresses)) traps.private.push(await serveTrap(await netns.listen(address, port), trapSecret));
    }
    for (const trap of Object.values(traps).flat()) undo.push(() => trap.close());

    const count = (recorders: Recorder[]): number => recorders.reduce((sum, trap) => sum + trap.connections, 0);
    // Proof that the traps are live: from this process, the very namespace the server's proxies
    // and web_fetch connect from, each trap answers. The counts start after this.
    for (const trap of Object.values(traps).flat()) {
      const body = await (await fetch(`http://${trap.address}/`, { signal: AbortSignal.timeout(10_000) })).text();
      if (body !== trapSecret) throw new Error(`the trap at ${trap.address} is not reachable from the host: ${body}`);
    }
    const baseline = { loopback: count(traps.loopback), metadata: count(traps.metadata), private: count(traps.private) };
    return {
      publicAddress,
      publicGreeting,
      publicServer,
      loopback,
      privateAddresses,
      trapSecret,
      trapConnections: () => ({
        loopback: count(traps.loopback) - baseline.loopback,
        metadata: count(traps.metadata) - baseline.metadata,
        private: count(traps.private) - baseline.private,
      }),
      destroy,
    };
  } catch (error) {
    await destroy();
    throw error;
  }
}
