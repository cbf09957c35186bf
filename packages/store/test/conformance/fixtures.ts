import { isoNow, newId, type Session } from '@longhand/protocol';

/** A minimal valid session object, as the runtime would create it. */
export function makeSession(overrides: Partial<Session> = {}): Session {
  const now = isoNow();
  return {
    type: 'session',
    id: newId('session'),
    title: null,
    status: 'idle',
    environment_id: 'env_test',
    agent: {
      type: 'agent',
      id: 'agent_test',
      version: 1,
      name: 'test',
      description: null,
      system: null,
      model: { id: 'claude-sonnet-4-6' },
      tools: [],
      mcp_servers: [],
      skills: [],
      execution_identity: { type: 'service_account' },
      multiagent: null,
    },
    resources: [],
    vault_ids: [],
    metadata: {},
    usage: {},
    stats: {},
    outcome_evaluations: [],
    budget: null,
    archived_at: null,
    created_at: now,
    updated_at: now,
    ...overrides,
  };
}

export function text(value: string) {
  return { type: 'user.message' as const, content: [{ type: 'text' as const, text: value }] };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `check` passes or `ms` elapse, polling; returns whether it passed. */
export async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await sleep(5);
  }
  return check();
}
