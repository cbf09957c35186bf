import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrainRig } from '../support/brain.js';
import { checkpoints, fork, restore, run, startBranching, turn, type Checkpoint } from './support.js';

let rig: BrainRig;
beforeAll(async () => {
  rig = await startBranching();
});
afterAll(async () => {
  await rig?.close();
});

describe('checkpoints', () => {
  it('are taken at the end of every turn, with their seq, time and size', async () => {
    const id = await rig.session();
    // (The pause stands for the model call that follows a write in a real turn: the store re-copies
    // files changed within a few clock ticks of a checkpoint, to be safe about timestamp granularity.)
    await run(rig.client, id, 'head -c 100000 /dev/urandom > /workspace/data.bin && sleep 0.2 && echo ok');
    await run(rig.client, id, 'echo more > /workspace/more.txt && echo ok');
    const list = await checkpoints(rig.client, id);
    expect(list.map((c) => c.trigger)).toEqual(['turn_end', 'turn_end']);
    const [second, first] = list;
    expect(second!.seq).toBeGreaterThan(first!.seq);
    expect(first!.size_bytes).toBeGreaterThanOrEqual(100_000);
    expect(second!.size_bytes).toBeGreaterThan(first!.size_bytes);
    expect(second!.added_bytes).toBeLessThan(first!.added_bytes);
    const history = [];
    for await (const event of rig.client.beta.sessions.events.list(id)) history.push(event as { id: string; type: string });
    // A turn-end checkpoint sits exactly on the idle that ended its turn.
    const idle = history.filter((e) => e.type === 'session.status_idle').at(-1)!;
    const retrieved = (await rig.client.get(`/v1/sessions/${id}/checkpoints/${second!.id}`)) as { event_id: string };
    expect(retrieved.event_id).toBe(idle.id);
  });
});

describe('checkpoints taken by hand', () => {
  it('return the latest when nothing changed, and catch files a background process wrote since', async () => {
    const id = await rig.session();
    // The write comes seconds after the turn, long after the next two calls.
    await run(rig.client, id, '(sleep 3; echo late > /workspace/late.txt) > /dev/null 2>&1 & echo started');
    const [atTurnEnd] = await checkpoints(rig.client, id);
    const again = (await rig.client.post(`/v1/sessions/${id}/checkpoints`, { body: {} })) as Checkpoint;
    expect(again.id).toBe(atTurnEnd!.id);
    const wrote = await waitForFile(id, '/workspace/late.txt');
    const manual = (await rig.client.post(`/v1/sessions/${id}/checkpoints`, { body: {} })) as Checkpoint;
    expect(manual.id).not.toBe(atTurnEnd!.id);
    expect(manual.seq).toBe(atTurnEnd!.seq);
    expect(manual.trigger).toBe('manual');
    expect(wrote).toBe(true);
    // Nothing changed since the manual one: the same one back.
    expect(((await rig.client.post(`/v1/sessions/${id}/checkpoints`, { body: {} })) as Checkpoint).id).toBe(manual.id);
    const child = await fork(rig.client, id, { checkpoint_id: manual.id });
    expect(await run(rig.client, child.id, 'cat /workspace/late.txt')).toBe('late');
  });
});

/** Polls the session's files through the API (never starting its sandbox) until `path` exists. */
async function waitForFile(sessionId: string, path: string): Promise<boolean> {
  const dir = path.slice(0, path.lastIndexOf('/'));
  for (let i = 0; i < 300; i += 1) {
    const listing = (await rig.client.get(`/v1/sessions/${sessionId}/workspace/files`, { query: { path: dir } })) as { data: Array<{ path: string }> };
    if (listing.data.some((entry) => entry.path === path)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe('forks', () => {
  it('start with the parent history and files, and are independent of it and of each other', async () => {
    const parent = await rig.session({ title: 'analysis' });
    await run(rig.client, parent, 'mkdir -p /workspace/notes && echo findings > /workspace/notes/a.md && pip --version >/dev/null 2>&1; echo ok');
    const forks = [];
    for (let i = 0; i < 3; i += 1) forks.push(await fork(rig.client, parent, { title: `experiment ${i}` }));
    const [one, two, three] = forks.map((f) => f.id) as [string, string, string];
    expect(forks[0]!.forked_from.session_id).toBe(parent);
    const session = await rig.client.beta.sessions.retrieve(one);
    expect(session.title).toBe('experiment 0');
    // The same history up to the checkpoint.
    const parentHistory = [];
    for await (const e of rig.client.beta.sessions.events.list(parent)) parentHistory.push(e as { id: string });
    const forkHistory = [];
    for await (const e of rig.client.beta.sessions.events.list(one)) forkHistory.push(e as { id: string });
    expect(forkHistory.map((e) => e.id)).toEqual(parentHistory.map((e) => e.id));
    // The same files.
    for (const id of [one, two, three]) expect(await run(rig.client, id, 'cat /workspace/notes/a.md')).toBe('findings');
    // Independent in every direction.
    await run(rig.client, one, 'echo one > /workspace/notes/a.md && echo one > /workspace/only-one.txt && echo ok');
    await run(rig.client, parent, 'echo parent > /workspace/notes/a.md && echo ok');
    expect(await run(rig.client, two, 'cat /workspace/notes/a.md; ls /workspace')).toBe('findings\nnotes');
    expect(await run(rig.client, three, 'cat /workspace/notes/a.md')).toBe('findings');
    expect(await run(rig.client, parent, 'cat /workspace/notes/a.md; ls /workspace')).toBe('parent\nnotes');
    expect(await run(rig.client, one, 'cat /workspace/notes/a.md')).toBe('one');
    // The fork's agent remembers the parent's conversation.
    await turn(rig.client, two, 'what did we do?');
    const request = JSON.stringify(rig.provider.requests.at(-1)!.messages);
    expect(request).toContain('RUN: mkdir -p /workspace/notes');
  });

  it('start by default from the checkpoint of the turn that has just ended, recorded a moment after its idle', async () => {
    const parent = await rig.session();
    await run(rig.client, parent, 'echo v1 > /workspace/state && echo ok');
    const [first] = await checkpoints(rig.client, parent);
    // The end of a turn as the harness writes it: the idle event, then (a moment later) its checkpoint.
    const { runtime } = rig.server;
    const [idle] = await runtime.store.events.append(parent, [{ body: { type: 'session.status_idle', stop_reason: { type: 'end_turn' }, stop_details: null } }]);
    const frozen = await runtime.branching.checkpoints.freeze(parent);
    const recorded = sleep(200).then(() => runtime.branching.checkpoints.record(parent, 'turn_end', idle!.seq, frozen, 'idle'));
    const child = await fork(rig.client, parent);
    const turnEnd = await recorded;
    expect(first!.seq).toBeLessThan(idle!.seq);
    expect(child.forked_from).toEqual({ session_id: parent, checkpoint_id: turnEnd.id, seq: idle!.seq });
  });

  it('restore on seeing a turn\'s idle, while the harness has yet to let go of the session', async () => {
    const id = await rig.session();
    await run(rig.client, id, 'echo v1 > /workspace/state && echo ok');
    const [v1] = await checkpoints(rig.client, id);
    await run(rig.client, id, 'echo v2 > /workspace/state && echo ok');
    // The end of a turn as the harness leaves it for a moment: idle, the session still marked to
    // be taken up (its next step finds nothing to do and clears the mark).
    const { runtime } = rig.server;
    await runtime.store.events.append(id, [{ body: { type: 'session.status_idle', stop_reason: { type: 'end_turn' }, stop_details: null } }], { wake: true });
    expect((await runtime.store.sessions.get(id))!.wakeSeq).toBeGreaterThan(0);
    await restore(rig.client, id, v1!.id);
    expect(await run(rig.client, id, 'cat /workspace/state')).toBe('v1');
  });

  it('can start from an older checkpoint than the latest', async () => {
    const parent = await rig.session();
    await run(rig.client, parent, 'echo v1 > /workspace/state && echo ok');
    const [v1] = await checkpoints(rig.client, parent);
    await run(rig.client, parent, 'echo v2 > /workspace/state && echo ok');
    const child = await fork(rig.client, parent, { checkpoint_id: v1!.id });
    expect(child.forked_from).toEqual({ session_id: parent, checkpoint_id: v1!.id, seq: v1!.seq });
    expect(await run(rig.client, child.id, 'cat /workspace/state')).toBe('v1');
  });
});

describe('restores', () => {
  it('roll the files and the conversation back, recorded as an event', async () => {
    const id = await rig.session();
    await run(rig.client, id, 'echo kept > /workspace/kept && echo ok');
    const [good] = await checkpoints(rig.client, id);
    await run(rig.client, id, 'rm /workspace/kept && echo oops > /workspace/mistake && echo ok');
    await restore(rig.client, id, good!.id);
    expect(await run(rig.client, id, 'ls /workspace')).toBe('kept');
    const history = [];
    for await (const e of rig.client.beta.sessions.events.list(id)) history.push(e as { type: string; restored_to_seq?: number });
    const restored = history.find((e) => e.type === 'session.restored')!;
    expect(restored.restored_to_seq).toBe(good!.seq);
    // History keeps what was undone; the model no longer sees it.
    expect(JSON.stringify(history)).toContain('mistake');
    expect(JSON.stringify(rig.provider.requests.at(-2)!.messages)).not.toContain('mistake');
    const list = await checkpoints(rig.client, id);
    expect(list[1]!.trigger).toBe('restore');
  });

  it('are refused while the session runs', async () => {
    const id = await rig.session();
    await run(rig.client, id, 'echo ok');
    const [checkpoint] = await checkpoints(rig.client, id);
    await rig.server.runtime.store.events.append(id, [{ body: { type: 'session.status_running' } }]);
    await expect(restore(rig.client, id, checkpoint!.id)).rejects.toMatchObject({ status: 400 });
    await rig.server.runtime.store.events.append(id, [{ body: { type: 'session.status_idle', stop_reason: { type: 'end_turn' }, stop_details: null } }]);
  });
});
