import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from './support/cluster.js';
import { task, taskScript } from './support/task-script.js';

type Event = Record<string, any> & { type: string; id: string };

/** A poll interval no test outlasts: what a worker does, it did because it was told. */
const NEVER_POLL = ['--poll-ms', '600000'];

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function session(c: Cluster): Promise<string> {
  return (await c.clients[0]!.beta.sessions.create({ agent: c.agentId, environment_id: c.environmentId })).id;
}

/** Waits until the session's log ends with an idle after an answer starting with `DONE`. */
async function settled(c: Cluster, sessionId: string, timeoutMs = 60_000): Promise<Array<{ type: string; body: string }>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await c.db.query<{ type: string; body: string; wake_seq: number }>(
      `SELECT e.type, e.body, s.wake_seq FROM events e JOIN sessions s ON s.id = e.session_id WHERE e.session_id = ? ORDER BY e.seq`,
      [sessionId],
    );
    const last = rows.at(-1);
    if (last?.type === 'session.status_idle' && Number(last.wake_seq) === 0 && rows.some((r) => r.type === 'agent.message' && r.body.includes('DONE'))) return rows;
    if (Date.now() > deadline) throw new Error(`session ${sessionId} did not settle: ${rows.map((r) => r.type).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('one database, many processes', () => {
  it('runs input sent to an API process on a worker that was told at once, not at its next poll', { timeout: 120_000 }, async () => {
    cluster = await startCluster({ apis: 1, workers: 1, script: taskScript({ delayMs: () => 0 }), workerArgs: NEVER_POLL });
    const id = await session(cluster);
    await cluster.clients[0]!.beta.sessions.events.send(id, { events: [task(2, 'wake')] });
    const rows = await settled(cluster, id, 30_000);
    expect(rows.filter((r) => r.type === 'agent.tool_use')).toHaveLength(2);
    // And again on the same session: each send is heard.
    await cluster.clients[0]!.beta.sessions.events.send(id, { events: [task(1, 'again')] });
    const more = await settled(cluster, id, 30_000);
    expect(more.filter((r) => r.type === 'agent.message' && r.body.includes('DONE again'))).toHaveLength(1);
  });

  it("streams another process's previews to a client of an API process, ahead of the message they preview", { timeout: 120_000 }, async () => {
    cluster = await startCluster({ apis: 1, workers: 1, script: taskScript({ delayMs: () => 50, textChunks: 8 }) });
    const id = await session(cluster);
    const client = cluster.clients[0]!;
    const stream = await client.beta.sessions.events.stream(id, { event_deltas: ['agent.message'] } as never);
    await client.beta.sessions.events.send(id, { events: [task(0, 'previews-across-processes')] });
    const events: Event[] = [];
    for await (const event of stream as AsyncIterable<Event>) {
      events.push(event);
      if (event.type === 'session.status_idle') break;
    }
    const message = events.find((e) => e.type === 'agent.message')!;
    expect(message.content[0].text).toBe('DONE previews-across-processes 1');
    const start = events.findIndex((e) => e.type === 'event_start');
    expect(start).toBeGreaterThanOrEqual(0);
    expect(events[start]!.event).toEqual({ type: 'agent.message', id: message.id });
    const deltas = events.filter((e) => e.type === 'event_delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.every((d) => d.event_id === message.id)).toBe(true);
    expect(deltas.map((d) => d.delta.content.text).join('')).toBe(message.content[0].text);
    expect(events.indexOf(message)).toBeGreaterThan(events.indexOf(deltas.at(-1)!));
  });
});
