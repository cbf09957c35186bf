import { afterEach, describe, expect, it } from 'vitest';
import { isLeaseLost, type Store } from '@longhand/store';
import { openMemoryStore } from '@longhand/store/testing';
import { reportingFencedAppends } from '../src/scheduler/fenced-log.js';
import { sessionFixture as session } from './support/session-fixture.js';

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
});

describe('the event log the harness writes through', () => {
  it('reports each append refused for a lost lease, with the ids of the events it would have written, none of them stored', async () => {
    store = await openMemoryStore();
    const s = session();
    await store.sessions.create('wrkspc_a', s);
    const reports: string[] = [];
    const log = reportingFencedAppends(store.events, (message) => reports.push(message));
    const stale = (await store.sessions.acquireLease(s.id, 'paused-worker', 60_000))!;
    await store.sessions.releaseLease(stale);
    await store.sessions.acquireLease(s.id, 'new-worker', 60_000);
    const error = await log
      .append(s.id, [{ body: { type: 'agent.message', content: [{ type: 'text', text: 'late' }] } }, { id: 'sevt_given', body: { type: 'agent.thinking' } }], { fence: stale })
      .catch((e: unknown) => e);
    expect(isLeaseLost(error)).toBe(true);
    expect(reports).toHaveLength(1);
    const ids = /rejected an append of 2 event\(s\): (\S+)/.exec(reports[0]!)![1]!.split(',');
    expect(ids[0]).toMatch(/^sevt_/);
    expect(ids[1]).toBe('sevt_given');
    expect(reports[0]).toContain(`session ${s.id} lease token ${stale.token} of paused-worker`);
    for (const id of ids) expect(await store.events.findById(s.id, id)).toBeUndefined();
  });

  it('passes other appends and reads through unchanged', async () => {
    store = await openMemoryStore();
    const s = session();
    await store.sessions.create('wrkspc_a', s);
    const reports: string[] = [];
    const log = reportingFencedAppends(store.events, (message) => reports.push(message));
    const lease = (await store.sessions.acquireLease(s.id, 'worker', 60_000))!;
    const [fenced] = await log.append(s.id, [{ body: { type: 'agent.thinking' } }], { fence: lease });
    const [client] = await log.append(s.id, [{ body: { type: 'user.message', content: [{ type: 'text', text: 'hi' }] } }]);
    expect([fenced!.seq, client!.seq]).toEqual([1, 2]);
    expect((await log.read(s.id)).map((e) => e.event.id)).toEqual([fenced!.event.id, client!.event.id]);
    expect(await log.headSeq(s.id)).toBe(2);
    expect(reports).toEqual([]);
  });
});
