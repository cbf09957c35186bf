import type Anthropic from '@anthropic-ai/sdk';
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
  trigger: string;
  size_bytes: number;
  added_bytes: number;
  created_at: string;
}

export async function checkpoints(client: Anthropic, sessionId: string): Promise<Checkpoint[]> {
  const page = (await client.get(`/v1/sessions/${sessionId}/checkpoints`)) as { data: Checkpoint[]; next_page: string | null };
  return page.data;
}

export async function fork(client: Anthropic, sessionId: string, body: Record<string, unknown> = {}): Promise<{ id: string; forked_from: { session_id: string; checkpoint_id: string; seq: number } }> {
  return (await client.post(`/v1/sessions/${sessionId}/fork`, { body })) as never;
}

export async function restore(client: Anthropic, sessionId: string, checkpointId: string): Promise<unknown> {
  return client.post(`/v1/sessions/${sessionId}/restore`, { body: { checkpoint_id: checkpointId } });
}
