import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import { TURN_OVER } from '@longhand/harness';
import { startBrain, untilSettled, type BrainOptions, type BrainRig } from '../support/brain.js';

/** The scripted agent runs the command a message names (`RUN: <command>`) and reports its output. */
export function runner(view: { lastUserText: string; toolResults: Array<{ text: string }>; assistantTurns: number }) {
  const command = /^RUN: ([\s\S]+)$/.exec(view.lastUserText)?.[1];
  if (!command) return { text: `noted: ${view.lastUserText}` };
  if (view.toolResults.length === 0) return { toolUses: [{ name: 'bash', input: { command } }] };
  return { text: `output: ${view.toolResults[0]!.text.trim()}` };
}

export const TOOLSET = { type: 'agent_toolset_20260401', default_config: { permission_policy: { type: 'always_allow' } } };

export function startBranching(options: BrainOptions = {}): Promise<BrainRig> {
  return startBrain(runner as never, { agent: { tools: [TOOLSET] }, ...options });
}

/** Sends a message and waits until the turn is over; returns the last agent text. */
export async function turn(client: Anthropic, sessionId: string, text: string): Promise<string> {
  const stream = await client.beta.sessions.events.stream(sessionId);
  await client.beta.sessions.events.send(sessionId, { events: [{ type: 'user.message', content: [{ type: 'text', text }] }] });
  const events = await untilSettled(stream as never);
  const last = events.filter((e) => e.type === 'agent.message').at(-1);
  return (last?.content ?? []).map((b: { text?: string }) => b.text ?? '').join('');
}

/** Runs a command in the session's sandbox through a turn and returns its output. */
export async function run(client: Anthropic, sessionId: string, command: string): Promise<string> {
  return (await turn(client, sessionId, `RUN: ${command}`)).replace(/^output: /, '');
}

export interface Checkpoint {
  id: string;
  seq: number;
  event_id: string;
  trigger: string;
  size_bytes: number;
  added_bytes: number;
  created_at: string;
}

/**
 * The session's checkpoints, newest first. A turn's checkpoint is recorded a moment after the
 * `session.status_idle` that ends it: when that event is the session's last, this waits for its
 * checkpoint (up to 10 s), as a client listing checkpoints on seeing the idle would.
 */
export async function checkpoints(client: Anthropic, sessionId: string): Promise<Checkpoint[]> {
  const list = async () => ((await client.get(`/v1/sessions/${sessionId}/checkpoints`)) as { data: Checkpoint[] }).data;
  const [last] = (await client.beta.sessions.events.list(sessionId, { order: 'desc', limit: 1 })).data as Array<{ id: string; type: string; stop_reason?: { type: string } }>;
  const turnEnded = last?.type === 'session.status_idle' && TURN_OVER.has(last.stop_reason?.type ?? '');
  for (const deadline = Date.now() + 10_000; ; await sleep(25)) {
    const data = await list();
    if (!turnEnded || data.some((checkpoint) => checkpoint.event_id === last.id) || Date.now() > deadline) return data;
  }
}

export async function fork(client: Anthropic, sessionId: string, body: Record<string, unknown> = {}): Promise<{ id: string; forked_from: { session_id: string; checkpoint_id: string; seq: number } }> {
  return (await client.post(`/v1/sessions/${sessionId}/fork`, { body })) as never;
}

export async function restore(client: Anthropic, sessionId: string, checkpointId: string): Promise<unknown> {
  return client.post(`/v1/sessions/${sessionId}/restore`, { body: { checkpoint_id: checkpointId } });
}

/**
 * The layers a server's sandbox storage holds: published layer directories, and journals whose
 * layer is not unpacked yet (a checkpoint's layer is first a journal, unpacked in the background).
 */
export async function storedLayers(dataDir: string): Promise<number> {
  const published = new Set((await readdir(join(dataDir, 'sandbox', 'layers')).catch(() => [] as string[])).filter((name) => /^[0-9a-f]{64}$/.test(name)));
  const journals = join(dataDir, 'sandbox', 'journal');
  let journaled = 0;
  for (const name of await readdir(journals).catch(() => [] as string[])) {
    const head = await readFile(join(journals, name)).then((bytes) => bytes.subarray(0, 512).toString('latin1')).catch(() => '');
    const [magic, id] = head.split('\n');
    if (magic === 'longhand layer journal 1' && id && !published.has(id.slice('sha256:'.length))) journaled += 1;
  }
  return published.size + journaled;
}
