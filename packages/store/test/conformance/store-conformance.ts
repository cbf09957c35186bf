import { isLonghandError } from '@longhand/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLeaseLost, type StoredEvent, type Store } from '@longhand/store';
import { eventually, makeSession, sleep, text } from './fixtures.js';

/**
 * The one suite every store adapter must pass. `open` returns a fresh, empty store;
 * `reopen`, when given, returns a new store over the same data (to check durability).
 */
export function storeConformance(name: string, open: () => Promise<Store>): void {
  describe(`${name} store`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    async function newSession(overrides = {}) {
      const session = makeSession(overrides);
      await store.sessions.create('wrkspc_a', session);
      return session;
    }

    describe('event log', () => {
      it('assigns contiguous seqs from 1, event ids and processing times', async () => {
        const session = await newSession();
        const first = await store.events.append(session.id, [{ body: text('a') }, { body: text('b') }]);
        const second = await store.events.append(session.id, [{ body: { type: 'session.status_running' } }]);
        expect([...first, ...second].map((e) => e.seq)).toEqual([1, 2, 3]);
        for (const stored of [...first, ...second]) {
          expect(stored.event.id).toMatch(/^sevt_/);
          expect(typeof stored.event.processed_at).toBe('string');
        }
        expect(await store.events.headSeq(session.id)).toBe(3);
        const read = await store.events.read(session.id);
        expect(read.map((e) => e.event)).toEqual([...first, ...second].map((e) => e.event));
      });

      it('keeps a queued client event unprocessed until it is marked, then shows it once in history', async () => {
        const session = await newSession();
        const [queued] = await store.events.append(session.id, [{ body: text('later'), processedAt: null }]);
        expect(queued!.event.processed_at).toBeNull();
        await store.events.append(session.id, [{ body: { type: 'session.status_running' } }]);
        const marked = await store.events.append(session.id, [{ processed: queued!.event.id }]);
        expect(marked).toHaveLength(1);
        expect(marked[0]!.redelivery).toBe(true);
        expect(marked[0]!.event.id).toBe(queued!.event.id);
        expect(marked[0]!.event.processed_at).not.toBeNull();
        const history = await store.events.read(session.id);
        expect(history.map((e) => e.event.id)).toEqual([queued!.event.id, history[1]!.event.id]);
        expect(history[0]!.event.processed_at).toBe(marked[0]!.event.processed_at);
        const everything = await store.events.read(session.id, { withRedeliveries: true });
        expect(everything.map((e) => e.seq)).toEqual([1, 2, 3]);
        expect(await store.events.append(session.id, [{ processed: queued!.event.id }])).toEqual([]);
      });

      it('filters by type, order, position and processing time', async () => {
        const session = await newSession();
        await store.events.append(session.id, [{ body: text('1') }, { body: { type: 'session.status_running' } }]);
        await sleep(5);
        const middle = new Date().toISOString();
        await sleep(5);
        await store.events.append(session.id, [{ body: text('2') }, { body: text('3'), processedAt: null }]);
        const messages = await store.events.read(session.id, { types: ['user.message'] });
        expect(messages.map((e) => e.seq)).toEqual([1, 3, 4]);
        const desc = await store.events.read(session.id, { order: 'desc', limit: 2 });
        expect(desc.map((e) => e.seq)).toEqual([4, 3]);
        const after = await store.events.read(session.id, { order: 'desc', afterSeq: 3 });
        expect(after.map((e) => e.seq)).toEqual([2, 1]);
        const late = await store.events.read(session.id, { processedAt: { gte: middle } });
        expect(late.map((e) => e.seq)).toEqual([3]);
        const early = await store.events.read(session.id, { processedAt: { lt: middle } });
        expect(early.map((e) => e.seq)).toEqual([1, 2]);
      });

      it('finds an event by id and refuses appends to an unknown session', async () => {
        const session = await newSession();
        const [stored] = await store.events.append(session.id, [{ body: text('x') }]);
        expect((await store.events.findById(session.id, stored!.event.id))?.seq).toBe(1);
        expect(await store.events.findById(session.id, 'sevt_missing')).toBeUndefined();
        const error = await store.events.append('sesn_missing', [{ body: text('x') }]).catch((e: unknown) => e);
        expect(isLonghandError(error) && error.code).toBe('not_found');
      });

      it('finds the answers to a tool use by its id', async () => {
        const session = await newSession();
        const [use] = await store.events.append(session.id, [{ body: { type: 'agent.custom_tool_use', name: 't', input: {} } }]);
        await store.events.append(session.id, [
          { body: { type: 'user.custom_tool_result', custom_tool_use_id: use!.event.id, content: [] } },
          { body: text('unrelated') },
          { body: { type: 'user.custom_tool_result', custom_tool_use_id: use!.event.id, is_error: true } },
        ]);
        const answers = await store.events.findByRef(session.id, use!.event.id);
        expect(answers.map((e) => e.seq)).toEqual([2, 4]);
        expect(await store.events.findByRef(session.id, 'sevt_other')).toEqual([]);
      });

      it('copies a prefix of a log into a new session, with its status and usage', async () => {
        const source = await newSession();
        const [queued] = await store.events.append(source.id, [{ body: text('q'), processedAt: null }]);
        await store.events.append(source.id, [
          { body: { type: 'session.status_running' } },
          { processed: queued!.event.id },
          { body: { type: 'session.usage', usage: { input_tokens: 7 } } },
          { body: { type: 'session.status_idle', stop_reason: { type: 'end_turn' }, stop_details: null } },
        ]);
        await store.events.append(source.id, [{ body: text('after the checkpoint') }]);
        const target = await newSession();
        expect(await store.events.copyPrefix(source.id, target.id, 5)).toBe(5);
        const copied = await store.events.read(target.id, { withRedeliveries: true });
        const original = await store.events.read(source.id, { withRedeliveries: true });
        expect(copied).toEqual(original.slice(0, 5));
        const record = (await store.sessions.get(target.id))!;
        expect([record.lastSeq, record.session.status, record.session.usage.input_tokens]).toEqual([5, 'idle', 7]);
        expect((await store.events.findByRef(target.id, 'x'))).toEqual([]);
        // Appends go on after the copied prefix.
        const [next] = await store.events.append(target.id, [{ body: text('fork only') }]);
        expect(next!.seq).toBe(6);
        expect(await store.events.headSeq(source.id)).toBe(6);
        await expect(store.events.copyPrefix(source.id, target.id, 5)).rejects.toThrow(/not empty/);
      });

      it('loads a log read elsewhere into an empty session, exactly as it was', async () => {
        const source = await newSession();
        const [queued] = await store.events.append(source.id, [{ body: text('q'), processedAt: null }]);
        await store.events.append(source.id, [
          { body: { type: 'session.status_running' } },
          { processed: queued!.event.id },
          { body: { type: 'agent.custom_tool_use', name: 't', input: {} }, internal: { note: 'kept' } },
        ]);
        const events = await store.events.read(source.id, { withRedeliveries: true });
        const target = await newSession();
        await store.events.load(target.id, events);
        expect(await store.events.read(target.id, { withRedeliveries: true })).toEqual(events);
        expect((await store.sessions.get(target.id))!.session.status).toBe('running');
        await expect(store.events.load(target.id, events)).rejects.toThrow(/not empty/);
        const other = await newSession();
        await expect(store.events.load(other.id, events.slice(1))).rejects.toThrow(/seq 2 where 1/);
      });

      it('gives concurrent appends to one session contiguous, unique seqs', async () => {
        const session = await newSession();
        await Promise.all(Array.from({ length: 50 }, (_, i) => store.events.append(session.id, [{ body: text(String(i)) }, { body: text(`${i}b`) }])));
        const all = await store.events.read(session.id);
        expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
        expect(new Set(all.map((e) => e.event.id)).size).toBe(100);
        // Each append's two events are adjacent.
        for (let i = 0; i < 100; i += 2) {
          const a = all[i]!.event as { content: Array<{ text: string }> };
          const b = all[i + 1]!.event as { content: Array<{ text: string }> };
          expect(b.content[0]!.text).toBe(`${a.content[0]!.text}b`);
        }
      });

      it('moves the session status with status events and keeps the last usage snapshot', async () => {
        const session = await newSession();
        await store.events.append(session.id, [{ body: { type: 'session.status_running' } }]);
        expect((await store.sessions.get(session.id))!.session.status).toBe('running');
        await store.events.append(session.id, [
          { body: { type: 'session.usage', usage: { input_tokens: 10, output_tokens: 5 } } },
          { body: { type: 'session.status_idle', stop_reason: { type: 'end_turn' }, stop_details: null } },
        ]);
        const record = (await store.sessions.get(session.id))!;
        expect(record.session.status).toBe('idle');
        expect(record.session.usage.input_tokens).toBe(10);
        expect(record.session.usage.output_tokens).toBe(5);
        expect(record.session.stats.active_seconds).toBeGreaterThanOrEqual(0);
      });
    });

    describe('leases and fencing', () => {
      it('lets only the current lease holder append as the harness', async () => {
        const session = await newSession();
        const lease = await store.sessions.acquireLease(session.id, 'worker-a', 60_000);
        expect(lease).toBeDefined();
        expect(await store.sessions.acquireLease(session.id, 'worker-b', 60_000)).toBeUndefined();
        await store.events.append(session.id, [{ body: { type: 'agent.thinking' } }], { fence: lease! });
        await store.sessions.releaseLease(lease!);
        const taken = await store.sessions.acquireLease(session.id, 'worker-b', 60_000);
        expect(taken!.token).toBeGreaterThan(lease!.token);
        const error = await store.events.append(session.id, [{ body: { type: 'agent.thinking' } }], { fence: lease! }).catch((e: unknown) => e);
        expect(isLeaseLost(error)).toBe(true);
        expect(await store.events.headSeq(session.id)).toBe(1);
        // A client append needs no lease.
        await store.events.append(session.id, [{ body: text('hi') }]);
        expect(await store.events.headSeq(session.id)).toBe(2);
      });

      it('lets an expired lease be taken over and fences the old holder out', async () => {
        const session = await newSession();
        const lease = await store.sessions.acquireLease(session.id, 'worker-a', 30);
        await sleep(60);
        expect(await store.sessions.renewLease(lease!, 1000)).toBeUndefined();
        const error = await store.events.append(session.id, [{ body: { type: 'agent.thinking' } }], { fence: lease! }).catch((e: unknown) => e);
        expect(isLeaseLost(error)).toBe(true);
        const other = await store.sessions.acquireLease(session.id, 'worker-b', 60_000);
        expect(other!.token).toBeGreaterThan(lease!.token);
        const renewed = await store.sessions.renewLease(other!, 120_000);
        expect(renewed!.expiresAt).toBeGreaterThan(other!.expiresAt);
      });

      it('breaks every lease for a process that knows it is the only writer', async () => {
        const session = await newSession();
        const lease = await store.sessions.acquireLease(session.id, 'dead-process', 60_000);
        expect(await store.sessions.acquireLease(session.id, 'restarted', 60_000)).toBeUndefined();
        expect(await store.sessions.breakLeases()).toBe(1);
        const taken = await store.sessions.acquireLease(session.id, 'restarted', 60_000);
        expect(taken!.token).toBeGreaterThan(lease!.token);
        const error = await store.events.append(session.id, [{ body: { type: 'agent.thinking' } }], { fence: lease! }).catch((e: unknown) => e);
        expect(isLeaseLost(error)).toBe(true);
      });

      it('keeps one failing append in a batch from failing the others', async () => {
        const session = await newSession();
        const stale = { sessionId: session.id, holder: 'nobody', token: 999 };
        const results = await Promise.allSettled([
          store.events.append(session.id, [{ body: text('a') }]),
          store.events.append(session.id, [{ body: text('b') }], { fence: stale }),
          store.events.append(session.id, [{ body: text('c') }]),
        ]);
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect((await store.events.read(session.id)).map((e) => e.seq)).toEqual([1, 2]);
      });

      it('marks sessions with waiting input as runnable until the harness consumes it', async () => {
        const session = await newSession();
        const [input] = await store.events.append(session.id, [{ body: text('go'), processedAt: null }], { wake: true });
        expect(await store.sessions.listRunnable(10)).toContain(session.id);
        const lease = await store.sessions.acquireLease(session.id, 'w', 60_000);
        expect(await store.sessions.listRunnable(10)).not.toContain(session.id);
        await store.sessions.releaseLease(lease!);
        await store.events.append(session.id, [{ body: text('more'), processedAt: null }], { wake: true });
        await store.events.append(session.id, [{ processed: input!.event.id }], { consumedThrough: input!.seq });
        expect((await store.sessions.get(session.id))!.wakeSeq).toBeGreaterThan(0);
        await store.events.append(session.id, [], { consumedThrough: 10 });
        expect((await store.sessions.get(session.id))!.wakeSeq).toBe(0);
        expect(await store.sessions.listRunnable(10)).not.toContain(session.id);
      });
    });

    describe('subscriptions', () => {
      it('deliver every later event once, in order, to every subscriber', async () => {
        const session = await newSession();
        await store.events.append(session.id, [{ body: text('before') }]);
        const head = await store.events.headSeq(session.id);
        const received: number[][] = [[], [], []];
        const subs = received.map((list) =>
          store.events.subscribe(session.id, head, { onEvents: (events) => list.push(...events.map((e) => e.seq)) }),
        );
        await Promise.all(Array.from({ length: 20 }, (_, i) => store.events.append(session.id, [{ body: text(String(i)) }])));
        expect(await eventually(() => received.every((list) => list.length === 20))).toBe(true);
        for (const list of received) expect(list).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
        for (const sub of subs) sub.close();
        await store.events.append(session.id, [{ body: text('after close') }]);
        await sleep(20);
        expect(received[0]).toHaveLength(20);
      });

      it('catch a late subscriber up from its starting seq, then go live', async () => {
        const session = await newSession();
        for (let i = 0; i < 5; i += 1) await store.events.append(session.id, [{ body: text(String(i)) }]);
        const early: StoredEvent[] = [];
        store.events.subscribe(session.id, 5, { onEvents: (events) => early.push(...events) });
        const late: StoredEvent[] = [];
        store.events.subscribe(session.id, 2, { onEvents: (events) => late.push(...events) });
        await store.events.append(session.id, [{ body: text('live') }]);
        expect(await eventually(() => late.length === 4 && early.length === 1)).toBe(true);
        expect(late.map((e) => e.seq)).toEqual([3, 4, 5, 6]);
      });

      it('include redeliveries and tell subscribers when the session is deleted', async () => {
        const session = await newSession();
        const [queued] = await store.events.append(session.id, [{ body: text('q'), processedAt: null }]);
        const seen: StoredEvent[] = [];
        let deleted = false;
        store.events.subscribe(session.id, 1, {
          onEvents: (events) => seen.push(...events),
          onDeleted: () => {
            deleted = true;
          },
        });
        await store.events.append(session.id, [{ processed: queued!.event.id }]);
        expect(await eventually(() => seen.length === 1)).toBe(true);
        expect(seen[0]!.redelivery).toBe(true);
        expect(await store.sessions.delete(session.id)).toBe(true);
        expect(await eventually(() => deleted)).toBe(true);
        expect(await store.events.read(session.id)).toEqual([]);
        expect(await store.sessions.get(session.id)).toBeUndefined();
      });
    });

    describe('sessions table', () => {
      it('pages through sessions in both orders and both directions with filters', async () => {
        const made = [];
        for (let i = 0; i < 7; i += 1) {
          made.push(await newSession({ agent: { ...makeSession().agent, version: (i % 2) + 1 } }));
          await sleep(2);
        }
        const ids = made.map((s) => s.id);
        const asc = await store.sessions.list({ workspaceId: 'wrkspc_a', order: 'asc', limit: 3 });
        expect(asc.map((r) => r.session.id)).toEqual(ids.slice(0, 3));
        const last = asc[2]!.session;
        const next = await store.sessions.list({ workspaceId: 'wrkspc_a', order: 'asc', limit: 3, after: [last.created_at, last.id] });
        expect(next.map((r) => r.session.id)).toEqual(ids.slice(3, 6));
        const first = next[0]!.session;
        const back = await store.sessions.list({ workspaceId: 'wrkspc_a', order: 'asc', limit: 3, after: [first.created_at, first.id], backwards: true });
        expect(back.map((r) => r.session.id)).toEqual(ids.slice(0, 3));
        const desc = await store.sessions.list({ workspaceId: 'wrkspc_a', order: 'desc', limit: 10 });
        expect(desc.map((r) => r.session.id)).toEqual([...ids].reverse());
        const v2 = await store.sessions.list({ workspaceId: 'wrkspc_a', order: 'asc', limit: 10, agentVersion: 2 });
        expect(v2.map((r) => r.session.id)).toEqual([ids[1], ids[3], ids[5]]);
        expect(await store.sessions.list({ workspaceId: 'wrkspc_other', order: 'asc', limit: 10 })).toEqual([]);
      });

      it('applies changes, hides archived sessions unless asked, and filters by status', async () => {
        const session = await newSession();
        const updated = await store.sessions.update(session.id, { title: 'renamed', metadata: { k: 'v' }, archivedAt: new Date().toISOString() });
        expect(updated!.session.title).toBe('renamed');
        expect(updated!.session.metadata).toEqual({ k: 'v' });
        expect(await store.sessions.list({ workspaceId: 'wrkspc_a', order: 'asc', limit: 10 })).toEqual([]);
        const archived = await store.sessions.list({ workspaceId: 'wrkspc_a', order: 'asc', limit: 10, includeArchived: true });
        expect(archived.map((r) => r.session.id)).toEqual([session.id]);
        const idle = await store.sessions.list({ workspaceId: 'wrkspc_a', order: 'asc', limit: 10, includeArchived: true, statuses: ['running'] });
        expect(idle).toEqual([]);
        expect(await store.sessions.update('sesn_missing', { title: 'x' })).toBeUndefined();
      });
    });

    describe('documents', () => {
      const doc = (id: string, name: string | null, extra = {}) => ({
        kind: 'environment',
        id,
        workspaceId: 'wrkspc_a',
        parentId: null,
        ord: 1,
        name,
        createdAt: new Date().toISOString(),
        archivedAt: null,
        body: { id, name },
        ...extra,
      });

      it('store, find, list and update documents with an optimistic guard', async () => {
        await store.documents.insert(doc('env_1', 'one'));
        await sleep(2);
        await store.documents.insert(doc('env_2', 'two'));
        expect((await store.documents.get('environment', 'env_1'))!.body).toEqual({ id: 'env_1', name: 'one' });
        expect((await store.documents.getByName('environment', 'wrkspc_a', 'two'))!.id).toBe('env_2');
        expect(await store.documents.getByName('environment', 'wrkspc_b', 'two')).toBeUndefined();
        const page = await store.documents.list('environment', { workspaceId: 'wrkspc_a', limit: 1 });
        expect(page.map((d) => d.id)).toEqual(['env_1']);
        const rest = await store.documents.list('environment', { workspaceId: 'wrkspc_a', limit: 5, after: [page[0]!.createdAt, page[0]!.id] });
        expect(rest.map((d) => d.id)).toEqual(['env_2']);
        expect(await store.documents.update('environment', 'env_1', { body: { v: 2 }, ord: 2 }, 5)).toBe(false);
        expect(await store.documents.update('environment', 'env_1', { body: { v: 2 }, ord: 2 }, 1)).toBe(true);
        expect((await store.documents.get('environment', 'env_1'))!.ord).toBe(2);
      });

      it('keep names unique among unarchived documents of a workspace', async () => {
        await store.documents.insert(doc('env_1', 'same'));
        const error = await store.documents.insert(doc('env_2', 'same')).catch((e: unknown) => e);
        expect(isLonghandError(error) && error.code).toBe('name_conflict');
        await store.documents.insert(doc('env_3', 'same', { workspaceId: 'wrkspc_b' }));
        await store.documents.update('environment', 'env_1', { body: {}, archivedAt: new Date().toISOString() });
        await store.documents.insert(doc('env_4', 'same'));
        const all = await store.documents.list('environment', { workspaceId: 'wrkspc_a', limit: 10, includeArchived: true });
        expect(all.map((d) => d.id).sort()).toEqual(['env_1', 'env_4']);
      });

      it('list one kind across workspaces by id, page by page', async () => {
        await store.documents.insert(doc('env_b', 'b', { workspaceId: 'wrkspc_x' }));
        await store.documents.insert(doc('env_a', 'a', { workspaceId: 'wrkspc_y' }));
        await store.documents.insert(doc('env_c', 'c'));
        const first = await store.documents.listKind('environment', undefined, 2);
        expect(first.map((d) => d.id)).toEqual(['env_a', 'env_b']);
        const rest = await store.documents.listKind('environment', 'env_b', 2);
        expect(rest.map((d) => d.id)).toEqual(['env_c']);
      });

      it('order children by ord and delete them with their parent', async () => {
        await store.documents.insert({ ...doc('agent_1', null), kind: 'agent' });
        for (const version of [1, 2, 3]) {
          await store.documents.insert({ ...doc(`agent_1@${version}`, null), kind: 'agent_version', parentId: 'agent_1', ord: version });
        }
        const newest = await store.documents.list('agent_version', { workspaceId: 'wrkspc_a', parentId: 'agent_1', byOrd: true, order: 'desc', limit: 2 });
        expect(newest.map((d) => d.ord)).toEqual([3, 2]);
        const older = await store.documents.list('agent_version', { workspaceId: 'wrkspc_a', parentId: 'agent_1', byOrd: true, order: 'desc', after: 2, limit: 2 });
        expect(older.map((d) => d.ord)).toEqual([1]);
        expect(await store.documents.delete('agent', 'agent_1')).toBe(true);
        expect(await store.documents.get('agent_version', 'agent_1@1')).toBeUndefined();
        expect(await store.documents.delete('agent', 'agent_1')).toBe(false);
      });
    });

    it('reports the database clock and schema version', async () => {
      const now = await store.now();
      expect(Math.abs(now - Date.now())).toBeLessThan(5000);
      expect(await store.schemaVersion()).toBeGreaterThanOrEqual(1);
    });
  });
}
