/**
 * "The agent" of the security suite: a scripted model that makes exactly the tool calls a test
 * asks for. The test writes the calls, as JSON, into a user message sent through the official
 * SDK; the model replies with those tool uses; the harness runs them in the session's sandbox
 * (or, for web_fetch, on the server) as it would for any model; once the results come back the
 * model ends its turn. The results are read back from the session's events.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { Script } from '@longhand/harness/testing';
import { untilSettled } from '../../support/brain.js';

/** One tool call as the model makes it. */
export interface ToolCall {
  name: string;
  input: Record<string, unknown>;
}

/** What came back for one call: the result's text (every text block) and its error flag. */
export interface ToolOutcome {
  text: string;
  isError: boolean;
}

const MARK = 'puppet-calls:';

/** The model: plays the calls of the last user message, then ends the turn once they answered. */
export const puppetScript: Script = (view) => {
  if (view.toolResults.length > 0) return { text: 'done' };
  if (!view.lastUserText.startsWith(MARK)) return { text: 'nothing to do' };
  return { toolUses: JSON.parse(view.lastUserText.slice(MARK.length)) as ToolCall[] };
};

type Event = Record<string, any> & { type: string };

/** A session whose model is the puppet: every method is one turn, and turns never overlap. */
export class PuppetSession {
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly client: Anthropic,
    /** The session id. */
    readonly id: string,
  ) {}

  /** Runs one call and returns its outcome. */
  async call(name: string, input: Record<string, unknown>): Promise<ToolOutcome> {
    const [outcome] = await this.calls([{ name, input }]);
    return outcome!;
  }

  /** Runs `command` with the bash tool (`timeoutMs` becomes the call's `timeout_ms`). */
  bash(command: string, timeoutMs?: number): Promise<ToolOutcome> {
    return this.call('bash', timeoutMs === undefined ? { command } : { command, timeout_ms: timeoutMs });
  }

  /** Makes the model issue `calls` in one reply; resolves with their outcomes, in order. */
  calls(calls: readonly ToolCall[]): Promise<ToolOutcome[]> {
    const turn = this.#queue.then(() => this.#turn(calls));
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  async #turn(calls: readonly ToolCall[]): Promise<ToolOutcome[]> {
    const stream = await this.client.beta.sessions.events.stream(this.id);
    const sent = await this.client.beta.sessions.events.send(this.id, {
      events: [{ type: 'user.message', content: [{ type: 'text', text: `${MARK}${JSON.stringify(calls)}` }] }],
    });
    const messageId = sent.data?.[0]?.id;
    const events = await untilSettled(stream as AsyncIterable<Event>);
    const start = events.findIndex((event) => event.type === 'user.message' && event.id === messageId);
    const turn = events.slice(start + 1);
    const uses = turn.filter((event) => event.type === 'agent.tool_use');
    if (uses.length !== calls.length) throw new Error(`expected ${calls.length} tool uses, the turn had ${uses.length}: ${JSON.stringify(turn.map((e) => e.type))}`);
    return uses.map((use) => {
      const result = turn.find((event) => event.type === 'agent.tool_result' && event.tool_use_id === use.id);
      if (!result) throw new Error(`no result for the ${use.name} call ${use.id}`);
      const text = (result.content as Array<{ type: string; text?: string }>).map((block) => block.text ?? `[${block.type}]`).join('\n');
      return { text, isError: Boolean(result.is_error) };
    });
  }
}
