import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqlStore, type Lease } from '@longhand/store';
import { SqliteDriver } from '@longhand/store/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsBlobStore } from '../../src/files/blob-store.js';
import { Files } from '../../src/files/files.js';
import { Hands } from '../../src/hands/hands.js';
import { DirObjectStore } from '../../src/objects/dir/dir-object-store.js';
import { RoamingWorkspaces } from '../../src/roaming/roaming-workspaces.js';
import { sessionFixture as session } from '../support/session-fixture.js';

/**
 * Two "machines" in one process: each with its own data directory, hands (unsandboxed: no
 * bubblewrap needed) and roaming workspaces, sharing one database and one object store.
 */
interface Machine {
  name: string;
  hands: Hands;
  roaming: RoamingWorkspaces;
  restores: number;
  logs: string[];
}

let root: string;
let store: SqlStore;
let objects: DirObjectStore;
const machines: Machine[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'longhand-roaming-'));
  store = new SqlStore(new SqliteDriver(join(root, 'db.sqlite')));
  await store.migrate();
  objects = new DirObjectStore(join(root, 'objects'));
});

afterAll(async () => {
  for (const machine of machines) await machine.hands.close();
  await store.close();
  await rm(root, { recursive: true, force: true });
});

async function machine(name: string): Promise<Machine> {
  const dataDir = join(root, name);
  const files = new Files(store, new FsBlobStore(join(dataDir, 'files')), 1 << 20);
  const hands = (await Hands.create({ sandbox: 'unsandboxed' }, dataDir, store, files, () => undefined))!;
  const logs: string[] = [];
  const roaming = new RoamingWorkspaces({ store, objects, hands: () => hands, markersDir: join(dataDir, 'roaming'), leaseMs: 1000, log: (m) => logs.push(m) });
  hands.beforeFiles = (id, use) => (use === 'run' ? roaming.open(id) : roaming.prepareBrowse(id));
  const made: Machine = { name, hands, roaming, restores: 0, logs };
  const restore = hands.restore.bind(hands);
  hands.restore = async (id, layers) => {
    made.restores += 1;
    return restore(id, layers);
  };
  machines.push(made);
  return made;
}

/** One turn on `m`: takes the lease, runs `work` in the session's sandbox, saves, gives the lease back. */
async function turn(m: Machine, id: string, work: (sandbox: Awaited<ReturnType<Hands['sandbox']>>) => Promise<void>): Promise<Lease> {
  const lease = (await store.sessions.acquireLease(id, m.name, 60_000))!;
  expect(lease).toBeDefined();
  await m.roaming.leaseStarted(id, lease);
  await work(await m.hands.sandbox(id));
  await m.roaming.leaseEnding(id, lease);
  await store.sessions.releaseLease(lease);
  return lease;
}

const text = async (sandbox: Awaited<ReturnType<Hands['sandbox']>>, path: string) => new TextDecoder().decode(await sandbox.readFile(path));

describe('roaming workspaces', () => {
  it('follow a session between machines, fetching only when another machine changed the files', async () => {
    const [a, b] = [await machine('a'), await machine('b')];
    const s = session();
    await store.sessions.create('wrkspc_a', s);
    await turn(a, s.id, (sandbox) => sandbox.writeFile(`${sandbox.workdir}/a.txt`, 'from a'));
    await turn(b, s.id, async (sandbox) => {
      expect(await text(sandbox, `${sandbox.workdir}/a.txt`)).toBe('from a');
      await sandbox.writeFile(`${sandbox.workdir}/b.txt`, 'from b');
    });
    expect(b.restores).toBe(1);
    // Back on a: its copy is stale (b wrote since), so it is brought up to the record.
    await turn(a, s.id, async (sandbox) => {
      expect(await text(sandbox, `${sandbox.workdir}/b.txt`)).toBe('from b');
    });
    expect(a.restores).toBe(1);
    // Again on a, nobody else in between: the fast path, nothing restored.
    await turn(a, s.id, async (sandbox) => {
      expect(await text(sandbox, `${sandbox.workdir}/a.txt`)).toBe('from a');
    });
    expect(a.restores).toBe(1);
  });

  it('drop what a machine wrote under a lease it lost, and record nothing of it', async () => {
    const [a, b] = [machines[0]!, machines[1]!];
    const s = session();
    await store.sessions.create('wrkspc_a', s);
    await turn(a, s.id, (sandbox) => sandbox.writeFile(`${sandbox.workdir}/kept.txt`, 'kept'));
    // a takes the session again and writes, but stalls past its lease; b takes over.
    const stale = (await store.sessions.acquireLease(s.id, 'a', 50))!;
    await a.roaming.leaseStarted(s.id, stale);
    await (await a.hands.sandbox(s.id)).writeFile(`${(await a.hands.sandbox(s.id)).workdir}/stale.txt`, 'written under a lost lease');
    await new Promise((resolve) => setTimeout(resolve, 80));
    const fresh = (await store.sessions.acquireLease(s.id, 'b', 60_000))!;
    await b.roaming.leaseStarted(s.id, fresh);
    // a wakes up and saves: refused.
    await a.roaming.leaseEnding(s.id, stale);
    expect(a.logs.some((line) => line.startsWith(`fenced out: session ${s.id}`))).toBe(true);
    const sandbox = await b.hands.sandbox(s.id);
    expect(await text(sandbox, `${sandbox.workdir}/kept.txt`)).toBe('kept');
    expect(await sandbox.stat(`${sandbox.workdir}/stale.txt`)).toBeUndefined();
    await b.roaming.leaseEnding(s.id, fresh);
    await store.sessions.releaseLease(fresh);
    // a's next turn starts from the record, not from its own stale files.
    await turn(a, s.id, async (next) => {
      expect(await next.stat(`${next.workdir}/stale.txt`)).toBeUndefined();
    });
  });

  it('record a fork and a restore without touching any machine’s files, which the next turn makes', async () => {
    const [a, b] = [machines[0]!, machines[1]!];
    const s = session();
    await store.sessions.create('wrkspc_a', s);
    await turn(a, s.id, (sandbox) => sandbox.writeFile(`${sandbox.workdir}/v.txt`, 'one'));
    const first = await a.roaming.freeze(s.id);
    await turn(a, s.id, (sandbox) => sandbox.writeFile(`${sandbox.workdir}/v.txt`, 'two'));
    const child = session();
    await store.sessions.create('wrkspc_a', child);
    await b.roaming.fork(first.snapshot.layers, s.id, child.id, 'wrkspc_a');
    await turn(b, child.id, async (sandbox) => expect(await text(sandbox, `${sandbox.workdir}/v.txt`)).toBe('one'));
    await b.roaming.restore(s.id, first.snapshot.layers);
    await turn(a, s.id, async (sandbox) => expect(await text(sandbox, `${sandbox.workdir}/v.txt`)).toBe('one'));
    expect(await a.roaming.layerBytes(first.snapshot.layers)).toBeGreaterThan(0);
  });
});
