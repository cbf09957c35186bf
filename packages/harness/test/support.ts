import { isoNow, newId, type AgentTool, type EventBody, type Session, type SessionEvent } from '@longhand/protocol';
import type { Store } from '@longhand/store';
import { openMemoryStore } from '@longhand/store/testing';
import { DEFAULT_HARNESS_CONFIG, Harness, type HarnessConfig, type ToolExecutor } from '@longhand/harness';
import { ScriptedModel, type Script } from '@longhand/harness/testing';

export const TOOLSET: AgentTool = {
  type: 'agent_toolset_20260401',
  default_config: { enabled: true, permission_policy: { type: 'always_allow' } },
  configs: [{ type: 'bash', name: 'bash', enabled: true, permission_policy: { type: 'always_ask' } }],
};

export const WEATHER: AgentTool = {
  type: 'custom',
  name: 'get_weather',
  description: 'Weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } } },
};

/**
 * Runs built-in tools as small JavaScript functions. The harness only sees a `ToolExecutor`;
 * what the tools do is beside the point of these tests (the sandboxed tools have their own).
 */
export class FunctionTools implements ToolExecutor {
  readonly calls: Array<{ name: string; input: Record<string, unknown> }> = [];
  constructor(private readonly impl: Record<string, (input: Record<string, unknown>, signal: AbortSignal) => Promise<string>> = {}) {}
  specs(enabled: readonly string[]) {
    return enabled.map((name) => ({ name, description: `the ${name} tool`, input_schema: { type: 'object' } }));
  }
  async execute(call: { name: string; input: Record<string, unknown> }, signal: AbortSignal) {
    this.calls.push({ name: call.name, input: call.input });
    const fn = this.impl[call.name];
    if (!fn) return { content: [{ type: 'text' as const, text: `${call.name} ran` }], isError: false };
    return { content: [{ type: 'text' as const, text: await fn(call.input, signal) }], isError: false };
  }
  idempotent(name: string) {
    return name === 'read' || name === 'glob' || name === 'grep';
  }
}

export interface Rig {
  store: Store;
  model: ScriptedModel;
  tools: FunctionTools;
  harness: Harness;
  session: Session;
  /** Appends client events as the API would (queued, waking the session). */
  send(...bodies: EventBody[]): Promise<SessionEvent[]>;
  /** Runs the harness once under a fresh lease, as the scheduler would. */
  run(signal?: AbortSignal): Promise<void>;
  types(): Promise<string[]>;
  events(): Promise<SessionEvent[]>;
  close(): Promise<void>;
}

const PROCESSED_ON_RECEIPT = new Set(['user.custom_tool_result', 'user.tool_result', 'user.define_outcome']);

export async function rig(
  script: Script,
  options: { tools?: AgentTool[]; toolImpl?: ConstructorParameters<typeof FunctionTools>[0]; config?: Partial<HarnessConfig>; budget?: Session['budget']; contextWindow?: number; model?: string } = {},
): Promise<Rig> {
  const store = await openMemoryStore();
  const model = new ScriptedModel(script, options.contextWindow ?? 200_000);
  const tools = new FunctionTools(options.toolImpl);
  const now = isoNow();
  const session: Session = {
    type: 'session',
    id: newId('session'),
    title: null,
    status: 'idle',
    environment_id: 'env_test',
    agent: {
      type: 'agent', id: 'agent_test', version: 1, name: 'tester', description: null, system: 'You are a test agent.',
      model: { id: options.model ?? 'claude-sonnet-4-6', speed: 'standard' }, tools: options.tools ?? [TOOLSET, WEATHER], mcp_servers: [], skills: [],
      execution_identity: { type: 'service_account' }, multiagent: null,
    },
    resources: [], vault_ids: [], metadata: {}, usage: {}, stats: {}, outcome_evaluations: [], budget: options.budget ?? null,
    archived_at: null, created_at: now, updated_at: now,
  };
  await store.sessions.create('wrkspc_test', session);
  const harness = new Harness({
    log: store.events,
    sessions: store.sessions,
    models: { resolve: () => model },
    tools,
    builtinTools: ['bash', 'read', 'write', 'edit', 'glob', 'grep'],
    prices: [{ match: 'claude-*', price: { input: 3, output: 15 } }],
    config: { ...DEFAULT_HARNESS_CONFIG, backoffMs: () => 1, ...options.config },
  });
  let holder = 0;
  return {
    store, model, tools, harness, session,
    async send(...bodies) {
      const stored = await store.events.append(
        session.id,
        bodies.map((body) => ({ body, processedAt: PROCESSED_ON_RECEIPT.has(body.type) ? undefined : null })),
        { wake: true },
      );
      return stored.map((s) => s.event);
    },
    async run(signal = new AbortController().signal) {
      const lease = await store.sessions.acquireLease(session.id, `test-${(holder += 1)}`, 60_000);
      if (!lease) throw new Error('could not lease the session');
      try {
        await harness.run(session.id, lease, signal);
      } finally {
        await store.sessions.releaseLease(lease);
      }
    },
    async types() {
      return (await store.events.read(session.id, { withRedeliveries: true })).map((e) => e.event.type);
    },
    async events() {
      return (await store.events.read(session.id, { withRedeliveries: true })).map((e) => e.event);
    },
    close: () => store.close(),
  };
}

export function userText(text: string): EventBody {
  return { type: 'user.message', content: [{ type: 'text', text }] };
}
