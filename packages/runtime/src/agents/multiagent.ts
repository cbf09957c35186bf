import { invalidRequest, type Agent, type AgentReference, type Multiagent, type MultiagentMember, type MultiagentParamsT } from '@longhand/protocol';

/** Looks up an agent version in the caller's workspace (latest when `version` is omitted). */
export type AgentLookup = (id: string, version?: number) => Promise<Agent | undefined>;

type AgentRefParam = string | { type: 'agent'; id: string; version?: number | undefined } | { type: 'self' };

async function resolveRef(ref: AgentRefParam, self: AgentReference, lookup: AgentLookup, where: string): Promise<AgentReference> {
  if (typeof ref !== 'string' && ref.type === 'self') return self;
  const id = typeof ref === 'string' ? ref : ref.id;
  const version = typeof ref === 'string' ? undefined : ref.version;
  if (id === self.id) return self;
  const agent = await lookup(id, version);
  if (!agent) throw invalidRequest(`${where}: agent ${id}${version ? ` version ${version}` : ''} does not exist`);
  if (agent.archived_at) throw invalidRequest(`${where}: agent ${id} is archived`);
  if (agent.multiagent) throw invalidRequest(`${where}: agent ${id} has a multiagent configuration of its own; depth is limited to 1`);
  return { type: 'agent', id: agent.id, version: agent.version };
}

type MemberParams = Extract<MultiagentParamsT, { type: 'multiagent_20261001' }>['subagents'];

async function resolveMember(
  params: MemberParams,
  stored: MultiagentMember | undefined,
  self: AgentReference,
  lookup: AgentLookup,
  where: string,
): Promise<MultiagentMember> {
  if (params === null) return { type: 'enabled', inline_agents: { type: 'enabled' }, predefined_agents: [] };
  if (params === undefined) return stored ?? { type: 'enabled', inline_agents: { type: 'enabled' }, predefined_agents: [] };
  if (params.type === 'disabled') return { type: 'disabled' };
  const base = stored?.type === 'enabled' ? stored : undefined;
  const inline =
    params.inline_agents === undefined ? (base?.inline_agents ?? { type: 'enabled' }) : (params.inline_agents ?? { type: 'enabled' });
  let predefined = base?.predefined_agents ?? [];
  if (params.predefined_agents !== undefined) {
    predefined = [];
    for (const [i, ref] of (params.predefined_agents ?? []).entries()) {
      predefined.push(await resolveRef(ref, self, lookup, `${where}.predefined_agents[${i}]`));
    }
  }
  const ids = predefined.map((ref) => ref.id);
  if (new Set(ids).size !== ids.length) throw invalidRequest(`${where}.predefined_agents lists an agent twice`);
  if (inline.type === 'disabled' && predefined.length === 0) {
    throw invalidRequest(`${where}: with inline_agents disabled, name at least one predefined agent`);
  }
  return { type: 'enabled', inline_agents: inline, predefined_agents: predefined };
}

/**
 * Resolves `multiagent` params into the stored form: agent references pinned to versions,
 * `self` resolved to the owning agent, every default filled in. For `multiagent_20261001` an
 * update merges level by level into the stored value of the same type (spec 3.1.4).
 */
export async function resolveMultiagent(
  params: MultiagentParamsT | null | undefined,
  stored: Multiagent | null,
  self: AgentReference,
  lookup: AgentLookup,
): Promise<Multiagent | null> {
  if (params === undefined) return stored;
  if (params === null) return null;
  if (params.type === 'coordinator') {
    const agents: Array<AgentReference | { type: 'advisor'; model: string }> = [];
    let selves = 0;
    let advisors = 0;
    for (const [i, entry] of params.agents.entries()) {
      const where = `multiagent.agents[${i}]`;
      if (typeof entry !== 'string' && entry.type === 'advisor') {
        advisors += 1;
        if (advisors > 1) throw invalidRequest(`${where}: at most one advisor is allowed`);
        agents.push({ type: 'advisor', model: entry.model });
        continue;
      }
      if (typeof entry !== 'string' && entry.type === 'self') {
        selves += 1;
        if (selves > 1) throw invalidRequest(`${where}: self may appear at most once`);
      }
      agents.push(await resolveRef(entry, self, lookup, where));
    }
    const ids = agents.flatMap((a) => (a.type === 'agent' ? [a.id] : []));
    if (new Set(ids).size !== ids.length) throw invalidRequest('multiagent.agents lists an agent twice');
    return { type: 'coordinator', agents };
  }
  const base = stored?.type === 'multiagent_20261001' ? stored : undefined;
  const advisor =
    params.advisor === undefined ? (base?.advisor ?? { type: 'disabled' as const }) : (params.advisor ?? { type: 'disabled' as const });
  return {
    type: 'multiagent_20261001',
    advisor,
    subagents: await resolveMember(params.subagents, base?.subagents, self, lookup, 'multiagent.subagents'),
    workflows: await resolveMember(params.workflows, base?.workflows, self, lookup, 'multiagent.workflows'),
  };
}
