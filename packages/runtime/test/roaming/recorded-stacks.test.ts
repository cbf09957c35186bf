import { SqlStore, type Store } from '@longhand/store';
import { openPostgresStore } from '@longhand/store/postgres';
import { SqliteDriver } from '@longhand/store/sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { RecordedStacks, StackFencedError } from '../../src/roaming/recorded-stacks.js';
import { createTestDatabase, databaseUrl, dropTestDatabases } from '../../../store/test/postgres/test-databases.js';
import { sessionFixture as session } from '../support/session-fixture.js';

const stores: Store[] = [];
afterAll(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
  await dropTestDatabases();
});

const adapters: Array<[string, () => Promise<Store>]> = [
  [
    'SQLite',
    async () => {
      const store = new SqlStore(new SqliteDriver(':memory:'));
      await store.migrate();
      return store;
    },
  ],
  ['PostgreSQL', async () => openPostgresStore(databaseUrl(await createTestDatabase()))],
];

const A = { layers: ['sha256:' + 'a'.repeat(64)], placed: true };
const B = { layers: ['sha256:' + 'b'.repeat(64)], placed: true };

describe.each(adapters)('a recorded stack on %s', (_name, open) => {
  async function setup() {
    const store = await open();
    stores.push(store);
    const s = session();
    await store.sessions.create('wrkspc_a', s);
    return { store, stacks: new RecordedStacks(store), id: s.id };
  }

  it('cannot be overwritten by a worker whose lease was taken over', async () => {
    const { store, stacks, id } = await setup();
    const old = (await store.sessions.acquireLease(id, 'worker-a', 50))!;
    expect(await stacks.claim(id, 'wrkspc_a', old.token)).toBeUndefined();
    expect(await stacks.write(id, 'wrkspc_a', old.token, A)).toBe(true);
    // Worker A stalls past its lease; worker B takes the session and claims the stack.
    await new Promise((resolve) => setTimeout(resolve, 80));
    const next = (await store.sessions.acquireLease(id, 'worker-b', 10_000))!;
    expect(next.token).toBeGreaterThan(old.token);
    expect(await stacks.claim(id, 'wrkspc_a', next.token)).toEqual(A);
    // A wakes up and tries to record what it had: refused, and B's record stands.
    expect(await stacks.write(id, 'wrkspc_a', old.token, B)).toBe(false);
    await expect(stacks.claim(id, 'wrkspc_a', old.token)).rejects.toBeInstanceOf(StackFencedError);
    expect(await stacks.read(id)).toEqual(A);
    expect(await stacks.write(id, 'wrkspc_a', next.token, B)).toBe(true);
    expect(await stacks.read(id)).toEqual(B);
  });

  it('lets a stale worker write only until the new holder claims, and then hands the new holder that write', async () => {
    const { store, stacks, id } = await setup();
    const old = (await store.sessions.acquireLease(id, 'worker-a', 50))!;
    await stacks.claim(id, 'wrkspc_a', old.token);
    await new Promise((resolve) => setTimeout(resolve, 80));
    const next = (await store.sessions.acquireLease(id, 'worker-b', 10_000))!;
    expect(await stacks.write(id, 'wrkspc_a', old.token, A)).toBe(true);
    expect(await stacks.claim(id, 'wrkspc_a', next.token)).toEqual(A);
    expect(await stacks.write(id, 'wrkspc_a', old.token, B)).toBe(false);
  });

  it('keeps the highest fence when holders race to write', async () => {
    const { store, stacks, id } = await setup();
    const tokens: number[] = [];
    for (const holder of ['w1', 'w2', 'w3', 'w4']) {
      const lease = (await store.sessions.acquireLease(id, holder, 1))!;
      tokens.push(lease.token);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const results = await Promise.all(tokens.map((token, i) => stacks.write(id, 'wrkspc_a', token, { layers: [`sha256:${String(i).repeat(64)}`], placed: false })));
    const row = await store.documents.get('workspace_stack', id);
    expect(row!.ord).toBe(Math.max(...tokens));
    expect((row!.body as { layers: string[] }).layers).toEqual([`sha256:${'3'.repeat(64)}`]);
    expect(results[3]).toBe(true);
  });
});
