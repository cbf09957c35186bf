import {
  isoNow,
  LonghandError,
  newId,
  notFound,
  invalidRequest,
  type Agent,
  type AgentCreateParamsT,
  type AgentUpdateParamsT,
  type CursorPage,
  type Metadata,
  type ToolParamsT,
} from '@longhand/protocol';
import type { DocumentRow, Store } from '@longhand/store';
import type { Caller } from '../caller.js';
import { pageDocuments, type DocumentPageQuery } from '../paging.js';
import { resolveMultiagent, type AgentLookup } from './multiagent.js';
import { normalizeModel } from './normalize-model.js';
import { normalizeSkills, normalizeTools } from './normalize-tools.js';

const AGENT = 'agent';
const VERSION = 'agent_version';

function versionId(agentId: string, version: number): string {
  return `${agentId}@${version}`;
}

/** Applies a metadata patch: strings upsert, `null` deletes. */
export function patchMetadata(current: Metadata, patch: Record<string, string | null> | null | undefined): Metadata {
  if (!patch) return current;
  const next = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  if (Object.keys(next).length > 16) throw new LonghandError('invalid_metadata', 'metadata: at most 16 pairs are allowed');
  return next;
}

/** The parts of an agent that make a version: everything but identity and timestamps. */
function content(agent: Agent): string {
  const { version: _v, created_at: _c, updated_at: _u, archived_at: _a, ...rest } = agent;
  return JSON.stringify(rest);
}

/** Agents and their immutable versions (spec 2.1, 3.1). */
export class Agents {
  constructor(private readonly store: Store) {}

  /** A lookup bound to a workspace, for resolving references from other resources. */
  lookup(caller: Caller): AgentLookup {
    return (id, version) => this.find(caller, id, version);
  }

  async create(caller: Caller, params: AgentCreateParamsT): Promise<Agent> {
    const id = newId('agent');
    const now = isoNow();
    const skills = normalizeSkills(params.skills ?? []);
    const { tools, mcp_servers } = normalizeTools(params.tools ?? [], params.mcp_servers ?? [], skills);
    const self = { type: 'agent' as const, id, version: 1 };
    const agent: Agent = {
      type: 'agent',
      id,
      version: 1,
      name: params.name,
      description: params.description ?? null,
      system: params.system ?? null,
      model: normalizeModel(params.model),
      tools,
      mcp_servers,
      skills,
      multiagent: await resolveMultiagent(params.multiagent, null, self, this.lookup(caller)),
      execution_identity: params.execution_identity ?? { type: 'service_account' },
      metadata: params.metadata ?? {},
      archived_at: null,
      created_at: now,
      updated_at: now,
    };
    await this.store.documents.insert<Agent>(this.row(caller.workspaceId, AGENT, agent.id, null, agent));
    await this.store.documents.insert<Agent>(this.row(caller.workspaceId, VERSION, versionId(id, 1), id, agent));
    return agent;
  }

  /** The latest version, or the given one; 404 when it does not exist in the caller's workspace. */
  async retrieve(caller: Caller, id: string, version?: number): Promise<Agent> {
    const agent = await this.find(caller, id, version);
    if (!agent) throw notFound(version ? `agent ${id} version` : 'agent', version ? String(version) : id);
    return agent;
  }

  async find(caller: Caller, id: string, version?: number): Promise<Agent | undefined> {
    const head = await this.store.documents.get<Agent>(AGENT, id);
    if (!head || head.workspaceId !== caller.workspaceId) return undefined;
    if (version === undefined || version === head.body.version) return head.body;
    const row = await this.store.documents.get<Agent>(VERSION, versionId(id, version));
    if (!row) return undefined;
    // Archiving applies to every version.
    return { ...row.body, archived_at: head.body.archived_at };
  }

  async update(caller: Caller, id: string, params: AgentUpdateParamsT): Promise<Agent> {
    const current = await this.retrieve(caller, id);
    if (current.archived_at) throw invalidRequest(`agent ${id} is archived and can no longer be updated`);
    if (params.version !== undefined && params.version !== current.version) {
      throw new LonghandError(
        'version_conflict',
        `agent ${id} is at version ${current.version}, not ${params.version}; retrieve it and apply your change again`,
        { retryable: false },
      );
    }
    const skills = params.skills === undefined ? current.skills : normalizeSkills(params.skills ?? []);
    const toolsChanged = params.tools !== undefined || params.mcp_servers !== undefined || params.skills !== undefined;
    let tools = current.tools;
    let mcpServers = current.mcp_servers;
    if (toolsChanged) {
      const normalized = normalizeTools(
        // The stored form of tools is also a valid params form, so unchanged tools re-validate as-is.
        params.tools === undefined ? (current.tools as ToolParamsT[]) : (params.tools ?? []),
        params.mcp_servers === undefined ? current.mcp_servers : (params.mcp_servers ?? []),
        skills,
      );
      tools = normalized.tools;
      mcpServers = normalized.mcp_servers;
    }
    const nextVersion = current.version + 1;
    const self = { type: 'agent' as const, id, version: nextVersion };
    const next: Agent = {
      ...current,
      version: nextVersion,
      name: params.name ?? current.name,
      description: params.description === undefined ? current.description : params.description || null,
      system: params.system === undefined ? current.system : params.system || null,
      model: params.model === undefined ? current.model : normalizeModel(params.model, current.model),
      tools,
      mcp_servers: mcpServers,
      skills,
      multiagent: retarget(await resolveMultiagent(params.multiagent, current.multiagent, self, this.lookup(caller)), id, nextVersion),
      execution_identity:
        params.execution_identity === undefined ? current.execution_identity : (params.execution_identity ?? { type: 'service_account' }),
      metadata: patchMetadata(current.metadata, params.metadata),
      updated_at: isoNow(),
    };
    // Self references in a coordinator roster pin the version being written.
    if (content({ ...next, multiagent: retarget(next.multiagent, id, current.version) }) === content(current)) return current;
    const written = await this.store.documents.update<Agent>(AGENT, id, { body: next, ord: nextVersion }, current.version);
    if (!written) {
      throw new LonghandError('version_conflict', `agent ${id} was updated concurrently; retrieve it and apply your change again`, {
        retryable: false,
      });
    }
    await this.store.documents.insert<Agent>(this.row(caller.workspaceId, VERSION, versionId(id, nextVersion), id, next));
    return next;
  }

  async list(caller: Caller, query: DocumentPageQuery): Promise<CursorPage<Agent>> {
    return pageDocuments<Agent, Agent>(this.store.documents, AGENT, { workspaceId: caller.workspaceId }, query, (row) => row.body);
  }

  async versions(caller: Caller, id: string, query: DocumentPageQuery): Promise<CursorPage<Agent>> {
    const head = await this.retrieve(caller, id);
    return pageDocuments<Agent, Agent>(
      this.store.documents,
      VERSION,
      { workspaceId: caller.workspaceId, parentId: id, byOrd: true },
      { ...query, include_archived: true },
      (row) => ({ ...row.body, archived_at: head.archived_at }),
    );
  }

  async archive(caller: Caller, id: string): Promise<Agent> {
    const current = await this.retrieve(caller, id);
    if (current.archived_at) return current;
    const now = isoNow();
    const archived: Agent = { ...current, archived_at: now, updated_at: now };
    // The row's archivedAt is what lists filter on; the body alone would leave the agent listed.
    await this.store.documents.update<Agent>(AGENT, id, { body: archived, archivedAt: now });
    return archived;
  }

  private row(workspaceId: string, kind: string, id: string, parentId: string | null, agent: Agent): DocumentRow<Agent> {
    return {
      kind,
      id,
      workspaceId,
      parentId,
      ord: agent.version,
      name: null,
      createdAt: kind === AGENT ? agent.created_at : agent.updated_at,
      archivedAt: null,
      body: agent,
    };
  }
}

/** Points the roster's references to the agent itself at `version`. */
function retarget(multiagent: Agent['multiagent'], selfId: string, version: number): Agent['multiagent'] {
  if (!multiagent) return multiagent;
  const pin = <T extends { type: string }>(entry: T): T =>
    entry.type === 'agent' && (entry as unknown as { id: string }).id === selfId ? { ...entry, version } : entry;
  if (multiagent.type === 'coordinator') return { ...multiagent, agents: multiagent.agents.map(pin) };
  const member = (m: typeof multiagent.subagents): typeof multiagent.subagents =>
    m.type === 'enabled' ? { ...m, predefined_agents: m.predefined_agents.map(pin) } : m;
  return { ...multiagent, subagents: member(multiagent.subagents), workflows: member(multiagent.workflows) };
}
