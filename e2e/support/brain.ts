import type Anthropic from '@anthropic-ai/sdk';
import { startScriptedServer, type Script, type ScriptedServer } from '@longhand/harness/testing';
import { startServer, type TestServer, type TestServerOptions } from './server.js';

type Event = Record<string, any> & { type: string };

/** A Longhand server whose harness calls a scripted model over real HTTP. */
export interface BrainRig {
  server: TestServer;
  provider: ScriptedServer;
  client: Anthropic;
  agentId: string;
  environmentId: string;
  /** Creates a session of the rig's agent. */
  session(extra?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export interface BrainOptions extends TestServerOptions {
  /** `anthropic` (default) or `openai`: which wire format the harness speaks to the scripted model. */
  format?: 'anthropic' | 'openai';
  /** Agent create params beyond name and model. */
  agent?: Record<string, unknown>;
  model?: string;
  contextWindow?: number;
  timeoutMs?: number;
}

export const WEATHER_TOOL = {
  type: 'custom' as const,
  name: 'get_weather',
  description: 'Get the weather for a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};

/** Starts a scripted model and a Longhand server pointed at it, with an agent and environment. */
export async function startBrain(script: Script, options: BrainOptions = {}): Promise<BrainRig> {
  const { format = 'anthropic', agent, model = 'claude-sonnet-4-6', contextWindow, timeoutMs, ...serverOptions } = options;
  const provider = await startScriptedServer(script);
  const providerConfig =
    format === 'anthropic'
      ? { type: 'anthropic' as const, baseURL: provider.url, apiKey: 'scripted-key', ...(timeoutMs ? { timeoutMs } : {}) }
      : { type: 'openai' as const, baseURL: `${provider.url}/v1`, ...(timeoutMs ? { timeoutMs } : {}) };
  const server = await startServer({
    models: {
      providers: { scripted: providerConfig },
      models: contextWindow ? [{ match: '*', provider: 'scripted', contextWindow }] : [],
      default: 'scripted',
    },
    harness: { backoffMs: () => 20 },
    scheduler: { pollMs: 100 },
    ...serverOptions,
  });
  const client = server.a.client;
  const created = await client.beta.agents.create({ name: 'scripted', model, ...agent } as never);
  const environment = await client.beta.environments.create({ name: `env-${Date.now()}-${Math.random()}` });
  return {
    server,
    provider,
    client,
    agentId: created.id,
    environmentId: environment.id,
    async session(extra = {}) {
      const session = await client.beta.sessions.create({ agent: created.id, environment_id: environment.id, ...extra } as never);
      return session.id;
    },
    async close() {
      await server.close();
      await provider.close();
    },
  };
}

/**
 * Reads a session's stream until an idle that does not wait for the client (or a
 * termination), calling `onEvent` for each event; returns every event seen.
 */
export async function untilSettled(
  stream: AsyncIterable<Event>,
  onEvent: (event: Event) => Promise<void> | void = () => undefined,
): Promise<Event[]> {
  const seen: Event[] = [];
  for await (const event of stream) {
    seen.push(event);
    await onEvent(event);
    if (event.type === 'session.status_terminated') break;
    if (event.type === 'session.status_idle' && event.stop_reason?.type !== 'requires_action') break;
  }
  return seen;
}

/** Sends one user message. */
export function say(client: Anthropic, sessionId: string, text: string) {
  return client.beta.sessions.events.send(sessionId, { events: [{ type: 'user.message', content: [{ type: 'text', text }] }] });
}

/** The text of every `agent.message` in a list of events. */
export function texts(events: Event[]): string[] {
  return events.filter((e) => e.type === 'agent.message').map((e) => e.content.map((b: { text?: string }) => b.text ?? '').join(''));
}
