import { isoNow, newId, type Session } from '@longhand/protocol';

/** A minimal, valid idle session with a fresh id, for tests that store sessions directly. */
export function sessionFixture(): Session {
  const now = isoNow();
  return {
    type: 'session', id: newId('session'), title: null, status: 'idle', environment_id: 'env_x', resources: [], vault_ids: [], metadata: {},
    usage: {}, stats: {}, outcome_evaluations: [], budget: null, archived_at: null, created_at: now, updated_at: now,
    agent: { type: 'agent', id: 'agent_x', version: 1, name: 'x', description: null, system: null, model: { id: 'm' }, tools: [], mcp_servers: [], skills: [], execution_identity: { type: 'service_account' }, multiagent: null },
  } as Session;
}
