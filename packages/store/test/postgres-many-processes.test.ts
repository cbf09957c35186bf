import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLeaseLost, type Store, type StoredEvent } from '@longhand/store';
import { openPostgresStore } from '@longhand/store/postgres';
import { eventually, makeSession, text } from './conformance/fixtures.js';
import {
  createTestDatabase,
  databaseUrl,
  dropTestDatabases,
  eventuallyAsync,
  holdSessionRow,
  lockWaiters,
  queryDatabase,
} from './postgres/test-databases.js';

/**
 * Two stores over one database stand for two Longhand processes. Neither polls within a test,
 * so whatever one sees of the other's writes came through LISTEN/NOTIFY and reads by seq.
 */
describe('two postgres stores over one database', () => {
  let name: string;
  let a: Store;
  let b: Store;

  beforeEach(async () => {
    name = await createTestDatabase();
    [a, b] = await Promise.all([
      openPostgresStore(databaseUrl(name, 'longhand-a'), { listener: { pollIntervalMs: 600_000 } }),
      openPostgresStore(databaseUrl(name, 'longhand-b'), { listener: { pollIntervalMs: 600_000 } }),
    ]);
  });

  afterEach(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await dropTestDatabases();
  });

  async function newSession(): Promise<string> {
    const session = makeSession();
    await b.sessions.create('wrkspc_a', session);
    return session.id;
  }

  function collect(store: Store, sessionId: string, afterSeq = 0) {
    const seen: StoredEvent[] = [];
    let deleted = false;
    store.events.subscribe(sessionId, afterSeq, {
      onEvents: (events) => seen.push(...events),
      onDeleted: () => {
        deleted = true;
      },
    });
    return { seen, seqs: () => seen.map((e) => e.seq), deleted: () => deleted };
  }

  const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

  it("deliver the other store's appends to a subscriber in order, once", async () => {
    const sessionId = await newSession();
    const watcher = collect(a, sessionId);
    for (let i = 0; i < 5; i += 1) await b.events.append(sessionId, [{ body: text(`sequential ${i}`) }]);
    await Promise.all(Array.from({ length: 15 }, (_, i) => b.events.append(sessionId, [{ body: text(`${i}`) }, { body: text(`${i}b`) }])));
    expect(await eventually(() => watcher.seen.length >= 35)).toBe(true);
    expect(watcher.seqs()).toEqual(upTo(35));
    const log = await b.events.read(sessionId, { withRedeliveries: true });
    expect(watcher.seen.map((e) => e.event)).toEqual(log.map((e) => e.event));
  });

  it('deliver a mix of appends through both stores to subscribers of both, in order, once', async () => {
    const sessionId = await newSession();
    const onA = collect(a, sessionId);
    const onB = collect(b, sessionId);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).events.append(sessionId, [{ body: text(`${i}`) }])),
    );
    expect(await eventually(() => onA.seen.length >= 40 && onB.seen.length >= 40)).toBe(true);
    expect(onA.seqs()).toEqual(upTo(40));
    expect(onB.seqs()).toEqual(upTo(40));
    expect(onA.seen.map((e) => e.event.id)).toEqual(onB.seen.map((e) => e.event.id));
  });

  it('give concurrent appends from both stores contiguous, unique seqs', async () => {
    const sessionId = await newSession();
    const appends = Array.from({ length: 60 }, (_, i) =>
      (i % 2 === 0 ? a : b).events.append(sessionId, [{ body: text(`${i}`) }, { body: text(`${i}b`) }]),
    );
    const results = await Promise.all(appends);
    const log = await a.events.read(sessionId);
    expect(log.map((e) => e.seq)).toEqual(upTo(120));
    expect(new Set(log.map((e) => e.event.id)).size).toBe(120);
    // Each append got two adjacent seqs, and the log holds exactly what it returned.
    for (const [first, second] of results) {
      expect(second!.seq).toBe(first!.seq + 1);
      expect(log[first!.seq - 1]!.event).toEqual(first!.event);
      expect(log[second!.seq - 1]!.event).toEqual(second!.event);
    }
    expect((await b.sessions.get(sessionId))!.lastSeq).toBe(120);
  });

  it('never deadlock when both batch appends to the same sessions', async () => {
    const sessionIds = await Promise.all(Array.from({ length: 6 }, () => newSession()));
    const appends = [];
    for (let round = 0; round < 20; round += 1) {
      // Each store names the sessions in a different order within its batches.
      for (const [store, ids] of [[a, sessionIds], [b, [...sessionIds].reverse()]] as const) {
        for (const id of ids) appends.push(store.events.append(id, [{ body: text(`round ${round}`) }]));
      }
    }
    const results = await Promise.allSettled(appends);
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    for (const id of sessionIds) expect((await a.events.read(id)).map((e) => e.seq)).toEqual(upTo(40));
  });

  it('fence out the appends of a store whose lease the other store took over', async () => {
    const sessionId = await newSession();
    const lease = await a.sessions.acquireLease(sessionId, 'worker-a', 200);
    expect(lease).toBeDefined();
    expect(await b.sessions.acquireLease(sessionId, 'worker-b', 60_000)).toBeUndefined();
    await a.events.append(sessionId, [{ body: { type: 'agent.thinking' } }], { fence: lease! });
    // Wait on the database clock, which both stores share, for the lease to run out.
    expect(await eventuallyAsync(async () => (await b.now()) > lease!.expiresAt)).toBe(true);
    const taken = await b.sessions.acquireLease(sessionId, 'worker-b', 60_000);
    expect(taken!.token).toBeGreaterThan(lease!.token);
    const error = await a.events.append(sessionId, [{ body: { type: 'agent.thinking' } }], { fence: lease! }).catch((e: unknown) => e);
    expect(isLeaseLost(error)).toBe(true);
    expect(await a.sessions.renewLease(lease!, 60_000)).toBeUndefined();
    await b.events.append(sessionId, [{ body: { type: 'agent.thinking' } }], { fence: taken! });
    expect((await a.events.read(sessionId)).map((e) => e.seq)).toEqual([1, 2]);
  });

  it("tell one store's subscribers when the other deletes the session", async () => {
    const sessionId = await newSession();
    const watcher = collect(a, sessionId);
    await b.events.append(sessionId, [{ body: text('x') }]);
    expect(await eventually(() => watcher.seen.length === 1)).toBe(true);
    expect(await b.sessions.delete(sessionId)).toBe(true);
    expect(await eventually(() => watcher.deleted())).toBe(true);
    expect(watcher.seqs()).toEqual([1]);
  });

  it("leave no orphan events when one deletes a session while the other's append waits on it", async () => {
    const sessionId = await newSession();
    const release = await holdSessionRow(name, sessionId);
    const appending = b.events.append(sessionId, [{ body: text('in flight') }]).catch((e: unknown) => e);
    expect(await eventuallyAsync(async () => (await lockWaiters(name)) === 1)).toBe(true);
    const deleting = a.sessions.delete(sessionId);
    expect(await eventuallyAsync(async () => (await lockWaiters(name)) === 2)).toBe(true);
    await release();
    await Promise.all([appending, deleting]);
    const left = await queryDatabase(name, `SELECT seq FROM events WHERE session_id = $1`, [sessionId]);
    expect(left).toEqual([]);
    expect(await a.sessions.get(sessionId)).toBeUndefined();
  });

  it('keep both changes when both update one session at once', async () => {
    const sessionId = await newSession();
    const release = await holdSessionRow(name, sessionId);
    const renaming = a.sessions.update(sessionId, { title: 'renamed by a' });
    const labelling = b.sessions.update(sessionId, { metadata: { by: 'b' } });
    expect(await eventuallyAsync(async () => (await lockWaiters(name)) === 2)).toBe(true);
    await release();
    await Promise.all([renaming, labelling]);
    const { session } = (await a.sessions.get(sessionId))!;
    expect(session.title).toBe('renamed by a');
    expect(session.metadata).toEqual({ by: 'b' });
  });

  it('write one redelivery when both mark the same queued event processed at once', async () => {
    const sessionId = await newSession();
    const [queued] = await b.events.append(sessionId, [{ body: text('later'), processedAt: null }]);
    const release = await holdSessionRow(name, sessionId);
    const marks = [a, b].map((store) => store.events.append(sessionId, [{ processed: queued!.event.id }]));
    expect(await eventuallyAsync(async () => (await lockWaiters(name)) === 2)).toBe(true);
    await release();
    const results = await Promise.all(marks);
    expect(results.map((events) => events.length).sort()).toEqual([0, 1]);
    const log = await a.events.read(sessionId, { withRedeliveries: true });
    expect(log.map((e) => [e.seq, e.redelivery])).toEqual([
      [1, false],
      [2, true],
    ]);
  });
});
