import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startScriptedServer, type ScriptedServer } from '@longhand/harness/testing';
import { freePort, ServerProcess } from '../support/server-process.js';

const SESSIONS = 12;
const KILLS = Number(process.env.LONGHAND_CRASH_KILLS ?? 55);
const ADMIN = 'lh_admin_crash_test_key';

/**
 * The model: a message `steps=N tag=T round=R` makes the agent call a tool N times, one call per
 * request, then answer `DONE T R`. It decides from the conversation alone, so whichever process
 * asks (after any number of crashes) gets the same next step.
 */
function script(view: { lastUserText: string; userTexts: string[]; toolResults: unknown[]; raw: unknown }) {
  const body = view.raw as { messages: Array<{ role: string; content: Array<{ type: string; text?: string }> }> };
  let lastUser = '';
  let callsSince = 0;
  for (const message of body.messages) {
    for (const block of message.content ?? []) {
      if (message.role === 'user' && block.type === 'text' && block.text?.startsWith('steps=')) {
        lastUser = block.text;
        callsSince = 0;
      }
      if (message.role === 'assistant' && block.type === 'tool_use') callsSince += 1;
    }
  }
  const match = /steps=(\d+) tag=(\S+) round=(\d+)/.exec(lastUser);
  if (!match) return { text: 'no task' };
  const [, steps, tag, round] = match;
  const delayMs = 10 + Math.floor(Math.random() * 60);
  if (callsSince < Number(steps)) {
    return { delayMs, text: `step ${callsSince + 1} of ${tag}`, chunks: 3, chunkDelayMs: 5, toolUses: [{ name: 'read', input: { file_path: `${tag}-${round}-${callsSince}` } }] };
  }
  return { delayMs, text: `DONE ${tag} ${round}`, chunks: 2, chunkDelayMs: 5 };
}

function task(i: number, round: number) {
  const steps = 2 + (i % 4);
  return { type: 'user.message' as const, content: [{ type: 'text' as const, text: `steps=${steps} tag=s${i} round=${round}` }] };
}

let provider: ScriptedServer | undefined;
let server: ServerProcess | undefined;
let dataDir: string | undefined;
afterAll(async () => {
  await server?.kill();
  await provider?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('crash recovery', () => {
  it(`finishes every session exactly once although the server is SIGKILLed ${KILLS} times`, { timeout: 900_000 }, async () => {
    provider = await startScriptedServer(script as never);
    dataDir = await mkdtemp(join(tmpdir(), 'longhand-crash-'));
    await chmod(dataDir, 0o711);
    const config = join(dataDir, 'config.json');
    await writeFile(config, JSON.stringify({ models: { providers: { scripted: { type: 'anthropic', baseURL: provider.url, apiKey: 'k' } }, default: 'scripted' } }));
    server = new ServerProcess(await freePort(), join(dataDir, 'data'), { LONGHAND_API_KEY: ADMIN }, ['--config', config]);
    await server.start();
    const client = new Anthropic({ baseURL: server.url, apiKey: ADMIN, maxRetries: 0 });
    const agent = await client.beta.agents.create({ name: 'crashy', model: 'claude-sonnet-4-6' });
    const environment = await client.beta.environments.create({ name: 'crash' });
    const expected = new Map<string, string[]>();
    for (let i = 0; i < SESSIONS; i += 1) {
      const session = await client.beta.sessions.create({ agent: agent.id, environment_id: environment.id, title: `s${i}` });
      await client.beta.sessions.events.send(session.id, { events: [task(i, 1)] });
      expected.set(session.id, [`DONE s${i} 1`, `DONE s${i} 2`]);
    }

    let kills = 0;
    while (kills < KILLS) {
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 250));
      await server.kill();
      kills += 1;
      await server.start();
      if (kills === Math.floor(KILLS / 2)) {
        // A second message for every session, while many are mid-turn: it queues behind the
        // running turn (or starts a new one) and must run after it, across further crashes.
        const ids = [...expected.keys()];
        for (const [i, id] of ids.entries()) await client.beta.sessions.events.send(id, { events: [task(i, 2)] });
      }
    }

    // Let everything finish on the last server.
    const deadline = Date.now() + 180_000;
    let settled = false;
    while (!settled && Date.now() < deadline) {
      const page = await client.beta.sessions.list({ limit: 100 });
      settled = page.data.every((s) => s.status === 'idle') && (await allConsumed(join(dataDir, 'data', 'longhand.db')));
      if (!settled) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await server.stop();
    expect(settled).toBe(true);

    const db = new Database(join(dataDir, 'data', 'longhand.db'), { readonly: true });
    try {
      for (const [sessionId, answers] of expected) {
        const rows = db.prepare('SELECT seq, id, type, redelivery, body FROM events WHERE session_id = ? ORDER BY seq').all(sessionId) as Array<{
          seq: number;
          id: string;
          type: string;
          redelivery: number;
          body: string;
        }>;
        // No gap, no repeat: seqs are exactly 1..n.
        expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
        // No event appears twice (a processed client event's second appearance is its redelivery row).
        const firsts = rows.filter((r) => r.redelivery === 0).map((r) => r.id);
        expect(new Set(firsts).size).toBe(firsts.length);
        const redelivered = rows.filter((r) => r.redelivery === 1).map((r) => r.id);
        expect(new Set(redelivered).size).toBe(redelivered.length);
        // Every tool use has exactly one result; every request span exactly one end.
        const uses = rows.filter((r) => r.type === 'agent.tool_use').map((r) => r.id);
        const results = rows.filter((r) => r.type === 'agent.tool_result').map((r) => JSON.parse(r.body).tool_use_id as string);
        expect([...results].sort()).toEqual([...uses].sort());
        const starts = rows.filter((r) => r.type === 'span.model_request_start').map((r) => r.id);
        const ends = rows.filter((r) => r.type === 'span.model_request_end').map((r) => JSON.parse(r.body).model_request_start_id as string);
        expect([...ends].sort()).toEqual([...starts].sort());
        // Both messages were taken up once, and the session answered both, in order.
        expect(rows.filter((r) => r.type === 'user.message' && r.redelivery === 1)).toHaveLength(2);
        const finals = rows
          .filter((r) => r.type === 'agent.message')
          .map((r) => (JSON.parse(r.body).content as Array<{ text: string }>)[0]!.text)
          .filter((text) => text.startsWith('DONE'));
        expect(finals).toEqual(answers);
        const last = rows.at(-1)!;
        expect([last.type, JSON.parse(last.body).stop_reason?.type]).toEqual(['session.status_idle', 'end_turn']);
      }
    } finally {
      db.close();
    }
    process.stderr.write(`crash recovery: ${SESSIONS} sessions finished correctly after ${kills} SIGKILLs\n`);
  });
});

async function allConsumed(path: string): Promise<boolean> {
  const db = new Database(path, { readonly: true });
  try {
    const row = db.prepare('SELECT COUNT(*) AS n FROM sessions WHERE wake_seq > 0').get() as { n: number };
    return row.n === 0;
  } finally {
    db.close();
  }
}
