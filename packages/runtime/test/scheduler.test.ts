import { afterEach, describe, expect, it } from 'vitest';
import { isLeaseLost, SqlStore, type Lease, type Store, type WakeListener } from '@longhand/store';
import { SqliteDriver } from '@longhand/store/sqlite';
import { Scheduler, type SessionRunner } from '@longhand/runtime';
import { sessionFixture as session } from './support/session-fixture.js';

/** Wake signals a test fires by hand, as another process's append would. */
class HandWakes {
  readonly listeners = new Set<WakeListener>();
  subscribe(listener: WakeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  fire(sessionId: string): void {
    for (const listener of this.listeners) listener(sessionId);
  }
}

const stores: Store[] = [];
const schedulers: Scheduler[] = [];
afterEach(async () => {
  await Promise.all(schedulers.splice(0).map((s) => s.stop()));
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

async function open(wakes = new HandWakes()): Promise<{ store: SqlStore; wakes: HandWakes }> {
  const store = new SqlStore(new SqliteDriver(':memory:'), { wakes });
  await store.migrate();
  stores.push(store);
  return { store, wakes };
}

async function withInput(store: Store): Promise<string> {
  const s = session();
  await store.sessions.create('wrkspc_a', s);
  await store.events.append(s.id, [{ body: { type: 'user.message', content: [{ type: 'text', text: 'go' }] }, processedAt: null }], { wake: true });
  return s.id;
}

/** A runner that takes up all waiting input (as the harness's `done` step does) and counts its runs. */
function consuming(store: Store, onRun: (sessionId: string, lease: Lease, signal: AbortSignal) => Promise<void> = async () => undefined) {
  const runs: string[] = [];
  const runner: SessionRunner = {
    run: async (sessionId, lease, signal) => {
      runs.push(sessionId);
      await onRun(sessionId, lease, signal);
      if (signal.aborted) return;
      await store.events.append(sessionId, [], { fence: lease, consumedThrough: await store.events.headSeq(sessionId) });
    },
  };
  return { runner, runs };
}

function start(store: Store, runner: SessionRunner, options: ConstructorParameters<typeof Scheduler>[2] = {}): Scheduler {
  const scheduler = new Scheduler(store, runner, { pollMs: 600_000, leaseMs: 60_000, ...options });
  schedulers.push(scheduler);
  scheduler.start();
  return scheduler;
}

const until = async (check: () => boolean | Promise<boolean>, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('the scheduler', () => {
  it("runs a session another process woke, without waiting for its poll, and stops listening when stopped", async () => {
    const { store, wakes } = await open();
    const { runner, runs } = consuming(store);
    const scheduler = start(store, runner);
    await new Promise((resolve) => setTimeout(resolve, 20)); // its first poll, before the input exists
    const id = await withInput(store);
    wakes.fire(id);
    await until(async () => (await store.sessions.get(id))!.wakeSeq === 0);
    expect(runs).toEqual([id]);
    await scheduler.stop();
    expect(wakes.listeners.size).toBe(0);
  });

  it('stops the session’s hands before giving its lease back', async () => {
    const { store, wakes } = await open();
    const { runner } = consuming(store);
    let heldDuringHook: boolean | undefined;
    start(store, runner, {
      onLeaseEnd: async (sessionId) => {
        heldDuringHook = (await store.sessions.acquireLease(sessionId, 'someone-else', 1000)) === undefined;
      },
    });
    const id = await withInput(store);
    wakes.fire(id);
    await until(() => heldDuringHook !== undefined);
    expect(heldDuringHook).toBe(true);
    await until(async () => (await store.sessions.acquireLease(id, 'someone-else', 1000)) !== undefined);
  });

  it('tells the lease’s start and end with the lease itself, and runs nothing when the start hook refuses', async () => {
    const { store, wakes } = await open();
    const { runner, runs } = consuming(store);
    const seen: string[] = [];
    let refuse = true;
    start(store, runner, {
      onLeaseStart: async (_sessionId, lease) => {
        seen.push(`start ${lease.token}`);
        if (refuse) throw new Error('the workspace stack is claimed by a newer lease');
      },
      onLeaseEnd: async (_sessionId, lease) => {
        seen.push(`end ${lease.token}`);
      },
    });
    const id = await withInput(store);
    wakes.fire(id);
    await until(() => seen.length >= 2 && seen.length % 2 === 0);
    expect(runs).toEqual([]);
    // The input still waits, and the lease was given back.
    expect((await store.sessions.get(id))!.wakeSeq).toBeGreaterThan(0);
    refuse = false;
    await until(async () => {
      wakes.fire(id);
      return runs.length === 1 && (await store.sessions.get(id))!.wakeSeq === 0;
    });
    await until(() => seen.at(-1)?.startsWith('end') === true);
    for (let i = 0; i < seen.length; i += 2) expect(seen[i + 1]).toBe(seen[i]!.replace('start', 'end'));
  });

  it('takes a session up again when input arrived just as it was giving the lease back', async () => {
    const { store, wakes } = await open();
    let hooked = 0;
    const { runner, runs } = consuming(store);
    start(store, runner, {
      onLeaseEnd: async (sessionId) => {
        // Another process's send lands now: its wake reached a process that still held the session.
        if ((hooked += 1) === 1) {
          await store.events.append(sessionId, [{ body: { type: 'user.message', content: [{ type: 'text', text: 'more' }] }, processedAt: null }], { wake: true });
          wakes.fire(sessionId);
        }
      },
    });
    const id = await withInput(store);
    wakes.fire(id);
    await until(() => runs.length === 2);
    await until(async () => (await store.sessions.get(id))!.wakeSeq === 0);
  });

  it('on a draining stop, lets a run finish, then hands back what outlasts the drain, releasing its lease', async () => {
    const { store, wakes } = await open();
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const { runner } = consuming(store, async (sessionId, _lease, signal) => {
      if (sessionId === slowId) await Promise.race([slow, new Promise((resolve) => signal.addEventListener('abort', resolve))]);
    });
    const scheduler = start(store, runner);
    const quickId = await withInput(store);
    const slowId = await withInput(store);
    wakes.fire(slowId);
    await until(() => scheduler.running.includes(slowId));
    const stopping = scheduler.stop({ drain: true, timeoutMs: 100 });
    // A wake while draining is not taken.
    wakes.fire(quickId);
    await stopping;
    expect(scheduler.running).toEqual([]);
    expect((await store.sessions.get(quickId))!.wakeSeq).toBeGreaterThan(0);
    // The slow session was handed back with its input still waiting, and its lease is free now.
    expect((await store.sessions.get(slowId))!.wakeSeq).toBeGreaterThan(0);
    expect(await store.sessions.acquireLease(slowId, 'next-worker', 1000)).toBeDefined();
    release();
  });

  it('fences a run out when its lease is lost: the run is aborted and its appends are refused', async () => {
    const { store, wakes } = await open();
    let seen: Lease | undefined;
    const { runner } = consuming(store, async (_id, lease, signal) => {
      seen = lease;
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
    });
    const scheduler = start(store, runner, { leaseMs: 150 });
    const id = await withInput(store);
    wakes.fire(id);
    await until(() => seen !== undefined);
    // Another process breaks in (as after this one was paused past its lease).
    await store.sessions.breakLeases();
    const taken = await store.sessions.acquireLease(id, 'other-process', 60_000);
    expect(taken!.token).toBeGreaterThan(seen!.token);
    const refused = await store.events.append(id, [{ body: { type: 'agent.thinking' } }], { fence: seen! }).catch((e: unknown) => e);
    expect(isLeaseLost(refused)).toBe(true);
    // Its next renewal fails, which aborts the run.
    await until(() => scheduler.running.length === 0);
  });
});
