import type Anthropic from '@anthropic-ai/sdk';
import { createInterface } from 'node:readline/promises';
import type { Style } from '../render/style.js';

type Event = Record<string, any> & { type: string };

/**
 * Asks the person at the terminal to settle the calls a session waits on: confirm or deny
 * built-in tool calls, and give results for the client's own (custom) tools. Returns the
 * events to send.
 */
export async function askForAnswers(events: Event[], style: Style): Promise<Array<Record<string, unknown>>> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answers: Array<Record<string, unknown>> = [];
  try {
    for (const event of events) {
      if (event.type === 'agent.custom_tool_use') {
        const text = await rl.question(`${style.yellow(`Result for ${event.name}(${JSON.stringify(event.input)})`)} (text; start with "!" to report an error): `);
        const isError = text.startsWith('!');
        answers.push({
          type: 'user.custom_tool_result',
          custom_tool_use_id: event.id,
          content: [{ type: 'text', text: isError ? text.slice(1).trim() : text }],
          is_error: isError,
        });
        continue;
      }
      const reply = (await rl.question(`${style.yellow(`Allow ${event.name} ${JSON.stringify(event.input)}?`)} [y]es, [n]o, or type why not: `)).trim();
      if (/^y(es)?$/i.test(reply) || reply === '') answers.push({ type: 'user.tool_confirmation', tool_use_id: event.id, result: 'allow' });
      else {
        const message = /^n(o)?$/i.test(reply) ? null : reply;
        answers.push({ type: 'user.tool_confirmation', tool_use_id: event.id, result: 'deny', ...(message ? { deny_message: message } : {}) });
      }
    }
  } finally {
    rl.close();
  }
  return answers;
}

/** The events behind the ids of a `requires_action` idle: from what the stream showed, else from history. */
export async function blockingEvents(client: Anthropic, sessionId: string, ids: string[], seen: Map<string, Event>): Promise<Event[]> {
  const missing = ids.filter((id) => !seen.has(id));
  if (missing.length > 0) {
    for await (const event of client.beta.sessions.events.list(sessionId, { limit: 1000 })) {
      const e = event as unknown as Event;
      if (missing.includes(e.id)) seen.set(e.id, e);
    }
  }
  return ids.flatMap((id) => (seen.has(id) ? [seen.get(id)!] : []));
}
