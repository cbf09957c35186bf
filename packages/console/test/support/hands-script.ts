import type { Script } from '@longhand/harness/testing';
import type { ConsoleServer } from './console-server.js';
import { waitForIdles } from './demo.js';

/** One thing the scripted agent does with its hands: run a command, or write a text file. */
export type HandsAction = { bash: string } | { write: string; content: string };

/**
 * The message that makes `handsScript` do `actions` in one turn: a line `$ <command>` per
 * command and a line `write <path> <JSON string>` per file, so contents keep their newlines.
 */
export function handsMessage(actions: readonly HandsAction[]): string {
  return actions.map((action) => ('bash' in action ? `$ ${action.bash}` : `write ${action.write} ${JSON.stringify(action.content)}`)).join('\n');
}

function parse(text: string): Array<{ name: string; input: Record<string, unknown> }> {
  const uses: Array<{ name: string; input: Record<string, unknown> }> = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('$ ')) uses.push({ name: 'bash', input: { command: line.slice(2) } });
    const write = /^write (\S+) (".*")$/.exec(line);
    if (write) uses.push({ name: 'write', input: { file_path: write[1]!, content: JSON.parse(write[2]!) as string } });
  }
  return uses;
}

/**
 * The scripted model of the tests with real hands: it calls the real built-in `bash` and
 * `write` tools as the last user message says (see `handsMessage`), all in one response, then
 * reports `done` — or `failed:` with the output when a tool reported an error, so a test that
 * checks the answer sees a broken sandbox at once. A message with no actions gets `noted`.
 */
export const handsScript: Script = (view) => {
  const usage = { input_tokens: 900 + view.userTexts.length * 200, output_tokens: 60 + view.assistantTurns * 10 };
  if (view.toolResults.length > 0) {
    const failed = view.toolResults.filter((result) => result.isError);
    return { text: failed.length > 0 ? `failed: ${failed.map((result) => result.text).join(' | ')}` : `done: ${view.toolResults.length} tool calls`, usage };
  }
  const uses = parse(view.lastUserText);
  return uses.length > 0 ? { text: 'On it.', toolUses: uses, usage } : { text: `noted: ${view.lastUserText.slice(0, 80)}`, usage };
};

/** Every built-in tool allowed without asking, so turns run to their end on their own. */
export const OPEN_TOOLSET = { type: 'agent_toolset_20260401', default_config: { enabled: true, permission_policy: { type: 'always_allow' } } };

/** An agent with the open toolset, its environment and a session of them. */
export async function makeHandsSession(server: ConsoleServer, title: string): Promise<string> {
  const agent = await server.api('POST', '/v1/agents', { name: 'builder', model: 'claude-sonnet-4-6', tools: [OPEN_TOOLSET] });
  const environment = await server.api('POST', '/v1/environments', { name: `builder-env-${Date.now()}` });
  const session = await server.api('POST', '/v1/sessions', { agent: agent.id, environment_id: environment.id, title });
  return session.id as string;
}

/**
 * Sends `actions` as one turn and waits until it is over; throws with the agent's last words
 * unless it answered `done` (a tool failed, or the sandbox did not start).
 */
export async function runTurn(server: ConsoleServer, sessionId: string, actions: readonly HandsAction[]): Promise<void> {
  const before = ((await server.api('GET', `/v1/sessions/${sessionId}/events?limit=1000`)).data as Array<{ type: string }>).filter((event) => event.type === 'session.status_idle').length;
  await server.api('POST', `/v1/sessions/${sessionId}/events`, { events: [{ type: 'user.message', content: [{ type: 'text', text: handsMessage(actions) }] }] });
  await waitForIdles(server, sessionId, before + 1, 60_000);
  const { data } = await server.api('GET', `/v1/sessions/${sessionId}/events?limit=1000`);
  const said = (data as Array<{ type: string; content?: Array<{ text?: string }> }>).filter((event) => event.type === 'agent.message').at(-1);
  const text = (said?.content ?? []).map((block) => block.text ?? '').join('');
  if (!text.startsWith('done:')) throw new Error(`the turn did not run its tools: ${text}`);
}
