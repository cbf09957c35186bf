import {
  invalidRequest,
  notFound,
  type Agent,
  type AgentTool,
  type Multiagent,
  type SessionAgent,
  type SessionAgentRefT,
  type ToolParamsT,
} from '@longhand/protocol';
import type { AgentLookup } from '../agents/multiagent.js';
import { normalizeModel } from '../agents/normalize-model.js';
import { normalizeSkills, normalizeTools } from '../agents/normalize-tools.js';

/** The agent fields a session or thread runs with. */
export function sessionAgentOf(agent: Agent, multiagent: SessionAgent['multiagent']): SessionAgent {
  return {
    type: 'agent',
    id: agent.id,
    version: agent.version,
    name: agent.name,
    description: agent.description,
    system: agent.system,
    model: agent.model,
    tools: agent.tools,
    mcp_servers: agent.mcp_servers,
    skills: agent.skills,
    execution_identity: agent.execution_identity,
    multiagent,
  };
}

/**
 * Expands a roster of references into full agent definitions, as `session.agent.multiagent`
 * shows them (spec 3.3: `SessionMultiagent` carries definitions, not references).
 */
async function expandMultiagent(multiagent: Multiagent | null, self: SessionAgent, lookup: AgentLookup): Promise<SessionAgent['multiagent']> {
  if (!multiagent) return null;
  const expand = async (ref: { id: string; version: number }) => {
    if (ref.id === self.id) return { ...self, multiagent: null };
    const agent = await lookup(ref.id, ref.version);
    if (!agent) throw invalidRequest(`the agent's roster names agent ${ref.id} version ${ref.version}, which no longer exists`);
    return sessionAgentOf(agent, null);
  };
  if (multiagent.type === 'coordinator') {
    const agents = [];
    for (const entry of multiagent.agents) agents.push(entry.type === 'advisor' ? entry : await expand(entry));
    return { type: 'coordinator', agents } as unknown as SessionAgent['multiagent'];
  }
  const member = async (m: typeof multiagent.subagents) => {
    if (m.type === 'disabled') return m;
    const predefined = [];
    for (const ref of m.predefined_agents) predefined.push(await expand(ref));
    return { ...m, predefined_agents: predefined };
  };
  return {
    ...multiagent,
    subagents: await member(multiagent.subagents),
    workflows: await member(multiagent.workflows),
  } as unknown as SessionAgent['multiagent'];
}

/**
 * Resolves `agent` of a session create request to the snapshot the session keeps: a bare id
 * means the latest version; overrides replace model, system, tools, MCP servers and skills.
 */
export async function resolveSessionAgent(ref: SessionAgentRefT, lookup: AgentLookup): Promise<SessionAgent> {
  const id = typeof ref === 'string' ? ref : ref.id;
  const version = typeof ref === 'string' ? undefined : ref.version;
  const agent = await lookup(id, version);
  if (!agent) throw notFound(version ? `agent ${id} version` : 'agent', version ? String(version) : id);
  if (agent.archived_at) throw invalidRequest(`agent: ${id} is archived and cannot be used by new sessions`);
  let resolved: Agent = agent;
  if (typeof ref !== 'string' && ref.type === 'agent_with_overrides') {
    const skills = ref.skills === undefined ? agent.skills : normalizeSkills(ref.skills);
    const { tools, mcp_servers } = normalizeTools(
      ref.tools === undefined ? (agent.tools as ToolParamsT[]) : ref.tools,
      ref.mcp_servers === undefined ? agent.mcp_servers : ref.mcp_servers,
      skills,
    );
    resolved = {
      ...agent,
      model: ref.model === undefined ? agent.model : normalizeModel(ref.model),
      system: ref.system === undefined ? agent.system : ref.system || null,
      tools: tools as AgentTool[],
      mcp_servers,
      skills,
    };
  }
  const snapshot = sessionAgentOf(resolved, null);
  snapshot.multiagent = await expandMultiagent(agent.multiagent, snapshot, lookup);
  return snapshot;
}
