import type { PreviewEvent } from '@longhand/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '@longhand/store';
import { makeSession, sleep, text } from './fixtures.js';

function delta(eventId: string, value: string): PreviewEvent {
  return { type: 'event_delta', event_id: eventId, delta: { type: 'content_delta', index: 0, content: { type: 'text', text: value } } };
}

/**
 * What every adapter promises about previews, wakes and handing leases back, seen from one
 * store (one process). The PostgreSQL tests add what crosses processes.
 */
export function signalsConformance(name: string, open: () => Promise<Store>): void {
  describe(`${name} store signals`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    async function newSession(): Promise<string> {
      const session = makeSession();
      await store.sessions.create('wrkspc_a', session);
      return session.id;
    }

    it("deliver a session's previews to its subscribers in order, once, and nothing of other sessions", async () => {
      const [a, b] = [await newSession(), await newSession()];
      const onA: PreviewEvent[] = [];
      const alsoOnA: PreviewEvent[] = [];
      const onB: PreviewEvent[] = [];
      store.previews.subscribe(a, (preview) => onA.push(preview));
      store.previews.subscribe(a, (preview) => alsoOnA.push(preview));
      store.previews.subscribe(b, (preview) => onB.push(preview));
      const sent: PreviewEvent[] = [{ type: 'event_start', event: { type: 'agent.message', id: 'sevt_m' } }];
      for (let i = 0; i < 30; i += 1) sent.push(delta('sevt_m', `${i} `));
      for (const preview of sent) store.previews.publish(a, preview);
      expect(onA).toEqual(sent);
      expect(alsoOnA).toEqual(sent);
      await sleep(50);
      expect(onA).toHaveLength(sent.length);
      expect(onB).toEqual([]);
    });

    it('keep delivering when a listener throws, and stop for a listener that unsubscribed', async () => {
      const id = await newSession();
      const kept: PreviewEvent[] = [];
      const dropped: PreviewEvent[] = [];
      store.previews.subscribe(id, () => {
        throw new Error('a broken stream');
      });
      const stop = store.previews.subscribe(id, (preview) => dropped.push(preview));
      store.previews.subscribe(id, (preview) => kept.push(preview));
      expect(() => store.previews.publish(id, delta('sevt_x', 'one'))).not.toThrow();
      stop();
      store.previews.publish(id, delta('sevt_x', 'two'));
      expect(kept.map((p) => (p.type === 'event_delta' ? p.delta.content.text : ''))).toEqual(['one', 'two']);
      expect(dropped).toHaveLength(1);
    });

    it("never signal a store's own wakes back to it", async () => {
      const id = await newSession();
      const heard: string[] = [];
      const stop = store.wakes.subscribe((sessionId) => heard.push(sessionId));
      await store.events.append(id, [{ body: text('go'), processedAt: null }], { wake: true });
      const lease = await store.sessions.acquireLease(id, 'w', 60_000);
      await store.sessions.releaseLease(lease!, { handoff: true });
      await sleep(100);
      expect(heard).toEqual([]);
      stop();
    });

    it('report the wake mark a release leaves, and nothing for a lease no longer held', async () => {
      const id = await newSession();
      const idle = await store.sessions.acquireLease(id, 'w', 60_000);
      expect(await store.sessions.releaseLease(idle!)).toBe(0);
      const [input] = await store.events.append(id, [{ body: text('go'), processedAt: null }], { wake: true });
      const lease = await store.sessions.acquireLease(id, 'w', 60_000);
      expect(await store.sessions.releaseLease(lease!, { handoff: true })).toBe(input!.seq);
      // Released already: a second release changes nothing and reports nothing.
      expect(await store.sessions.releaseLease(lease!)).toBe(0);
      const next = await store.sessions.acquireLease(id, 'other', 60_000);
      expect(next!.token).toBeGreaterThan(lease!.token);
      expect(await store.sessions.listRunnable(10)).not.toContain(id);
      await store.sessions.releaseLease(next!);
      expect(await store.sessions.listRunnable(10)).toContain(id);
    });
  });
}
