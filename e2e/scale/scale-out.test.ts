import type Anthropic from '@anthropic-ai/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { Chaos } from './support/chaos.js';
import { startCluster, type Cluster } from './support/cluster.js';
import { expectExactLog, type LogRow } from './support/log-checks.js';
import { task, taskScript } from './support/task-script.js';

const SESSIONS = Number(process.env.LONGHAND_SCALE_SESSIONS ?? 200);
const LEASE_MS = 2000;

type Event = Record<string, any> & { type: string; id: string };

/** A client following one session's stream; it keeps every persisted event it is sent. */
function follow(client: Anthropic, sessionId: string): { events: Event[]; opened: Promise<void>; close(): void } {
  const events: Event[] = [];
  let stop: (() => void) | undefined;
  const opened = (async () => {
    const stream = await client.beta.sessions.events.stream(sessionId);
    stop = () => stream.controller.abort();
    void (async () => {
      try {
        for await (const event of stream as AsyncIterable<Event>) {
          // Heartbeats and errors have no event id; everything from the log does.
          if (typeof event.id === 'string' && event.id.startsWith('sevt_')) events.push(event);
        }
      } catch {
        // Aborted at the end of the test.
      }
    })();
  })();
  return { events, opened, close: () => stop?.() };
}

let cluster: Cluster | undefined;
afterAll(async () => {
  await cluster?.close();
});

describe('scale-out on one PostgreSQL database', () => {
  it(
    `finishes ${SESSIONS} sessions exactly once on 2 API and 3 worker processes while workers are killed and paused`,
    { timeout: 240_000 },
    async () => {
      cluster = await startCluster({
        apis: 2,
        workers: 3,
        script: taskScript(),
        workerArgs: ['--lease-ms', String(LEASE_MS), '--poll-ms', '250', '--concurrency', '100'],
      });
      const { clients, db } = cluster;
      const ids: string[] = [];
      for (let i = 0; i < SESSIONS; i += 1) {
        const client = clients[i % 2]!;
        ids.push((await client.beta.sessions.create({ agent: cluster.agentId, environment_id: cluster.environmentId, title: `s${i}` })).id);
      }
      // Every session is followed from both API processes, from before its first event.
      const streams = ids.map((id) => [follow(clients[0]!, id), follow(clients[1]!, id)] as const);
      await Promise.all(streams.flatMap((pair) => pair.map((s) => s.opened)));

      const expected = new Map<string, string[]>();
      const chaos = new Chaos({ workers: cluster.workers, db, leaseMs: LEASE_MS, intervalMs: [300, 900] });
      const started = Date.now();
      chaos.start();
      await Promise.all(
        ids.map(async (id, i) => {
          await clients[i % 2]!.beta.sessions.events.send(id, { events: [task(1 + (i % 3), `s${i}`, 1)] });
          expected.set(id, [`DONE s${i} 1`]);
        }),
      );
      // A second message for half the sessions, through the other API process, as soon as each
      // has taken its first one up (so mostly mid-turn): it queues behind the running turn and
      // must run after it. (Two messages waiting together would make one turn: by design.)
      const pending = new Set(ids.filter((_, i) => i % 2 === 0));
      while (pending.size > 0) {
        const taken = await db.query<{ session_id: string }>(
          `SELECT DISTINCT session_id FROM events WHERE session_id = ANY(CAST(? AS TEXT[])) AND type = 'user.message' AND redelivery = 1`,
          [[...pending]],
        );
        await Promise.all(
          taken.map(async ({ session_id: id }) => {
            pending.delete(id);
            const i = ids.indexOf(id);
            expected.get(id)!.push(`DONE s${i} 2`);
            await clients[(i + 1) % 2]!.beta.sessions.events.send(id, { events: [task(1 + (i % 2), `s${i}`, 2)] });
          }),
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
      }

      const settledAll = async () => {
        const rows = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM sessions WHERE wake_seq > 0 OR status <> 'idle' OR last_seq = 0`,
        );
        return rows[0]!.n === 0;
      };
      // The chaos goes on while the sessions run; then every worker is brought back to finish.
      const chaosDeadline = Date.now() + 120_000;
      while (!(await settledAll()) && Date.now() < chaosDeadline) await new Promise((resolve) => setTimeout(resolve, 250));
      await chaos.stop();
      const deadline = Date.now() + 60_000;
      let settled = await settledAll();
      while (!settled && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        settled = await settledAll();
      }
      const elapsed = Date.now() - started;
      expect(settled).toBe(true);

      // The chaos happened: workers died and were paused for longer than a lease, throughout.
      expect(chaos.kills).toBeGreaterThanOrEqual(2);
      expect(chaos.pauses).toBeGreaterThanOrEqual(2);

      // Every log is whole and exact.
      const logs = new Map<string, LogRow[]>();
      for (const id of ids) {
        const rows = await db.query<LogRow>(`SELECT seq, id, type, redelivery, body FROM events WHERE session_id = ? ORDER BY seq`, [id]);
        logs.set(id, rows);
        expectExactLog(id, rows, expected.get(id)!);
      }

      // No write of a fenced-out worker got in: every append the store refused for a lost lease
      // (each worker logs them with the ids it would have written) left no event behind.
      const fenced = cluster.workers.flatMap((w) => w.fenced);
      const refusedIds = fenced.flatMap((f) => f.ids);
      const leaked = refusedIds.length === 0 ? [] : await db.query(`SELECT id FROM events WHERE id = ANY(CAST(? AS TEXT[]))`, [refusedIds]);
      expect(leaked).toEqual([]);
      // And the pauses did make workers try: some appends were refused.
      expect(fenced.length).toBeGreaterThan(0);

      // Both API processes streamed every session's events, in the log's order, exactly once.
      const streamDeadline = Date.now() + 30_000;
      const complete = () => ids.every((id, i) => streams[i]!.every((s) => s.events.length >= logs.get(id)!.length));
      while (!complete() && Date.now() < streamDeadline) await new Promise((resolve) => setTimeout(resolve, 100));
      for (const [i, id] of ids.entries()) {
        const fromLog = logs.get(id)!.map((r) => `${r.type} ${r.id}`);
        const [first, second] = streams[i]!.map((s) => s.events.map((e) => `${e.type} ${e.id}`));
        expect(first, `session ${id} on API 1`).toEqual(fromLog);
        expect(second, `session ${id} on API 2`).toEqual(fromLog);
      }
      for (const pair of streams) for (const s of pair) s.close();

      // How fast the survivors took over a killed worker's sessions: from the SIGKILL to the
      // first event a new holder wrote (reported, not asserted: another worker may have been
      // paused or restarting at that instant; worker-lifecycle.test.ts asserts it in isolation).
      const takeovers: number[] = [];
      for (const action of chaos.actions.filter((a) => a.kind === 'kill')) {
        for (const { sessionId, lastSeq } of action.held) {
          const [next] = await db.query<{ processed_at: string }>(
            `SELECT processed_at FROM events WHERE session_id = ? AND seq > ? AND type NOT LIKE 'user.%' ORDER BY seq LIMIT 1`,
            [sessionId, lastSeq],
          );
          if (next?.processed_at) takeovers.push(Date.parse(next.processed_at) - action.at);
        }
      }
      takeovers.sort((a, b) => a - b);
      const events = [...logs.values()].reduce((n, rows) => n + rows.length, 0);
      process.stderr.write(
        `scale-out: ${SESSIONS} sessions, ${events} events in ${(elapsed / 1000).toFixed(1)} s; ` +
          `${chaos.kills} SIGKILLs, ${chaos.pauses} SIGSTOPs; ${fenced.length} appends refused for lost leases (${refusedIds.length} events, none stored); ` +
          `takeover after SIGKILL (lease ${LEASE_MS} ms): ${takeovers.length} sessions, median ${takeovers[Math.floor(takeovers.length / 2)] ?? '-'} ms, max ${takeovers.at(-1) ?? '-'} ms\n`,
      );
    },
  );
});
