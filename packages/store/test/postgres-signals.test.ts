import type { PreviewEvent } from '@longhand/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '@longhand/store';
import { openPostgresStore, type PostgresStoreOptions } from '@longhand/store/postgres';
import { eventually, makeSession, sleep, text } from './conformance/fixtures.js';
import { createTestDatabase, databaseUrl, dropTestDatabases } from './postgres/test-databases.js';

/**
 * Two stores over one database stand for two Longhand processes: what one publishes or wakes
 * must reach the other through PostgreSQL's notifications.
 */
const opened: Store[] = [];

async function pair(options: PostgresStoreOptions = {}): Promise<[Store, Store]> {
  const name = await createTestDatabase();
  const listen = { listenNow: { previews: true, wakes: true } };
  const stores = await Promise.all([
    openPostgresStore(databaseUrl(name, 'longhand-a'), { ...listen, ...options }),
    openPostgresStore(databaseUrl(name, 'longhand-b'), { ...listen, ...options }),
  ]);
  opened.push(...stores);
  return stores as [Store, Store];
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await dropTestDatabases();
});

function delta(text: string, eventId = 'sevt_m'): PreviewEvent {
  return { type: 'event_delta', event_id: eventId, delta: { type: 'content_delta', index: 0, content: { type: 'text', text } } };
}

function texts(previews: PreviewEvent[]): string {
  return previews.map((p) => (p.type === 'event_delta' ? p.delta.content.text : '')).join('');
}

async function newSession(store: Store): Promise<string> {
  const session = makeSession();
  await store.sessions.create('wrkspc_a', session);
  return session.id;
}

describe('previews across postgres stores', () => {
  it("reach the other store's subscribers in order, once, and the publisher's own subscribers once", async () => {
    const [a, b] = await pair();
    const id = await newSession(a);
    const onA: PreviewEvent[] = [];
    const onB: PreviewEvent[] = [];
    const otherOnB: PreviewEvent[] = [];
    a.previews.subscribe(id, (p) => onA.push(p));
    b.previews.subscribe(id, (p) => onB.push(p));
    b.previews.subscribe('sesn_other', (p) => otherOnB.push(p));
    const sent: PreviewEvent[] = [{ type: 'event_start', event: { type: 'agent.message', id: 'sevt_m' } }];
    a.previews.publish(id, sent[0]!);
    for (let i = 0; i < 500; i += 1) {
      sent.push(delta(`${i} `));
      a.previews.publish(id, sent.at(-1)!);
      if (i % 50 === 0) await sleep(3);
    }
    a.previews.publish(id, sent[0]!);
    sent.push(sent[0]!);
    expect(await eventually(() => onB.length >= sent.length)).toBe(true);
    await sleep(100);
    expect(onB).toEqual(sent);
    expect(onA).toEqual(sent);
    expect(otherOnB).toEqual([]);
  });

  it('carry a delta larger than one notification whole, cut into pieces', async () => {
    const [a, b] = await pair();
    const id = await newSession(a);
    const onB: PreviewEvent[] = [];
    b.previews.subscribe(id, (p) => onB.push(p));
    const big = 'x'.repeat(50_000);
    a.previews.publish(id, delta(big));
    expect(await eventually(() => texts(onB).length >= big.length)).toBe(true);
    expect(texts(onB)).toBe(big);
    expect(onB.length).toBeGreaterThan(1);
  });

  it('send pending previews ahead of an append of the same process, without waiting for the batch window', async () => {
    // A window far longer than the test: anything that arrives was sent by the append's flush.
    const [a, b] = await pair({ previews: { batchMs: 60_000 } });
    const id = await newSession(a);
    const timeline: string[] = [];
    b.previews.subscribe(id, (p) => timeline.push(`preview ${texts([p])}`));
    b.events.subscribe(id, 0, { onEvents: (events) => timeline.push(...events.map((e) => `event ${e.seq}`)) });
    for (let round = 1; round <= 5; round += 1) {
      a.previews.publish(id, delta(`r${round}`));
      await a.events.append(id, [{ body: text(`message ${round}`) }]);
    }
    expect(await eventually(() => timeline.length === 10)).toBe(true);
    // Reading an event takes a query after its notification, so a later preview may overtake
    // it; but each round's preview comes before that round's event.
    for (let round = 1; round <= 5; round += 1) {
      expect(timeline.indexOf(`preview r${round}`)).toBeGreaterThanOrEqual(0);
      expect(timeline.indexOf(`preview r${round}`)).toBeLessThan(timeline.indexOf(`event ${round}`));
    }
  });
});

describe('wakes across postgres stores', () => {
  it('tell the other store of input appended with a wake, and only of that', async () => {
    const [a, b] = await pair();
    const id = await newSession(a);
    const heardByA: string[] = [];
    const heardByB: string[] = [];
    a.wakes.subscribe((sessionId) => heardByA.push(sessionId));
    b.wakes.subscribe((sessionId) => heardByB.push(sessionId));
    await a.events.append(id, [{ body: text('not input') }]);
    await a.events.append(id, [{ body: text('go'), processedAt: null }], { wake: true });
    expect(await eventually(() => heardByB.length === 1)).toBe(true);
    await sleep(100);
    expect(heardByB).toEqual([id]);
    expect(heardByA).toEqual([]);
  });

  it('tell other stores when a lease is handed back with input waiting, and not when it is merely released', async () => {
    const [a, b] = await pair();
    const id = await newSession(a);
    const heardByA: string[] = [];
    a.wakes.subscribe((sessionId) => heardByA.push(sessionId));
    await b.events.append(id, [{ body: text('go'), processedAt: null }], { wake: true });
    expect(await eventually(() => heardByA.length === 1)).toBe(true);
    heardByA.length = 0;
    const first = await b.sessions.acquireLease(id, 'b', 60_000);
    expect(await b.sessions.releaseLease(first!)).toBeGreaterThan(0);
    await sleep(100);
    expect(heardByA).toEqual([]);
    const second = await b.sessions.acquireLease(id, 'b', 60_000);
    await b.sessions.releaseLease(second!, { handoff: true });
    expect(await eventually(() => heardByA.length === 1)).toBe(true);
    expect(heardByA).toEqual([id]);
  });

  it('never tell of a wake whose append was fenced out', async () => {
    const [a, b] = await pair();
    const id = await newSession(a);
    const heardByB: string[] = [];
    b.wakes.subscribe((sessionId) => heardByB.push(sessionId));
    const stale = { holder: 'gone', token: 99 };
    await expect(a.events.append(id, [{ body: text('x'), processedAt: null }], { wake: true, fence: stale })).rejects.toMatchObject({ code: 'lease_lost' });
    await a.events.append(id, [{ body: text('marker') }]);
    await sleep(150);
    expect(heardByB).toEqual([]);
    expect(await b.events.headSeq(id)).toBe(1);
  });
});
