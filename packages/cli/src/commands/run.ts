import { parseArgs } from 'node:util';
import type Anthropic from '@anthropic-ai/sdk';
import { CLIENT_OPTIONS, clientFrom } from '../client.js';
import { SessionRenderer } from '../render/session-renderer.js';
import { styleFor } from '../render/style.js';
import { askForAnswers, blockingEvents } from './answer.js';

const HELP = `longhand run: send a prompt to an agent and watch it work

  longhand run --agent <id> [--environment <id>] "prompt"
  longhand run --session <id> "follow-up"

  --agent <id>         the agent to run (a new session is created)
  --environment <id>   the environment (default: one named "default", created if missing)
  --session <id>       continue an existing session instead
  --url <url>          the server (LONGHAND_URL, default http://127.0.0.1:4680)
  --key <key>          the API key (LONGHAND_KEY)

Exits at idle: 0 when the turn ended normally, 1 when it failed or the session terminated,
3 when it waits for an answer that cannot be asked here (no terminal).
`;

async function defaultEnvironment(client: Anthropic): Promise<string> {
  for await (const environment of client.beta.environments.list()) if (environment.name === 'default') return environment.id;
  return (await client.beta.environments.create({ name: 'default' })).id;
}

type Event = Record<string, any> & { type: string };

/** Follows a session until it settles, answering what it waits on. Returns the exit code. */
export async function follow(client: Anthropic, sessionId: string, stream: AsyncIterable<Event>, renderer: SessionRenderer): Promise<number> {
  const style = styleFor(process.stdout);
  for await (const event of stream) {
    renderer.handle(event);
    if (event.type === 'session.status_terminated') return 1;
    if (event.type !== 'session.status_idle') continue;
    const reason = event.stop_reason.type as string;
    if (reason !== 'requires_action') return reason === 'end_turn' ? 0 : 1;
    const waiting = await blockingEvents(client, sessionId, event.stop_reason.event_ids, renderer.toolUses);
    if (!process.stdin.isTTY) {
      renderer.stopSpinner();
      process.stderr.write(`session ${sessionId} waits for ${waiting.length} answer(s); run interactively or answer through the API\n`);
      return 3;
    }
    renderer.stopSpinner();
    const answers = await askForAnswers(waiting, style);
    if (answers.length > 0) await client.beta.sessions.events.send(sessionId, { events: answers as never });
  }
  return 1;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...CLIENT_OPTIONS, agent: { type: 'string' }, environment: { type: 'string' }, session: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const prompt = positionals.join(' ').trim();
  if (values.help || !prompt || (!values.agent && !values.session)) {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  const client = clientFrom(values);
  let sessionId = values.session;
  if (!sessionId) {
    const environmentId = values.environment ?? (await defaultEnvironment(client));
    sessionId = (await client.beta.sessions.create({ agent: values.agent!, environment_id: environmentId, title: prompt.slice(0, 80) })).id;
    process.stderr.write(styleFor(process.stderr).dim(`session ${sessionId}\n`));
  }
  const renderer = new SessionRenderer(process.stdout, styleFor(process.stdout), { showUserMessages: false });
  const stream = await client.beta.sessions.events.stream(sessionId, { event_deltas: ['agent.message', 'agent.thinking'] });
  await client.beta.sessions.events.send(sessionId, { events: [{ type: 'user.message', content: [{ type: 'text', text: prompt }] }] });
  try {
    return await follow(client, sessionId, stream as unknown as AsyncIterable<Event>, renderer);
  } finally {
    renderer.stopSpinner();
    stream.controller.abort();
  }
}
