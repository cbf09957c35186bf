import {
  LonghandError,
  decodeCursor,
  encodeCursor,
  invalidRequest,
  isoNow,
  newId,
  notFound,
  type BidirectionalPage,
  type EventBody,
  type Session,
  type SessionCreateParamsT,
  type SessionListQueryT,
  type SessionUpdateParamsT,
} from '@longhand/protocol';
import type { SessionChanges, SessionRecord, Store } from '@longhand/store';
import { patchMetadata, type Agents } from '../agents/agents.js';
import { normalizeTools } from '../agents/normalize-tools.js';
import type { Caller } from '../caller.js';
import type { Environments } from '../environments/environments.js';
import type { Files } from '../files/files.js';
import { DEFAULT_PAGE_SIZE } from '../paging.js';
import type { Waker } from '../scheduler/waker.js';
import type { SessionEvents } from './events.js';
import { resolveResources, SESSION_SECRET } from './resources.js';
import { resolveSessionAgent } from './session-agent.js';

/** Sessions (spec 2.4, 3.3): create, read, change, list, archive, delete. */
export class Sessions {
  constructor(
    private readonly store: Store,
    private readonly agents: Agents,
    private readonly environments: Environments,
    private readonly files: Files,
    private readonly events: SessionEvents,
    private readonly waker: Waker,
    /** Whether a model has a list price, so that a budget can be enforced on it. */
    private readonly priced: (modelId: string) => boolean,
    /** Frees what a deleted session held outside the store (its sandbox and files). */
    private readonly release: (sessionId: string) => Promise<void> = async () => undefined,
  ) {}

  async create(caller: Caller, params: SessionCreateParamsT): Promise<Session> {
    const agent = await resolveSessionAgent(params.agent, this.agents.lookup(caller));
    if (params.budget && !this.priced(agent.model.id)) {
      throw invalidRequest(`budget: model_not_budgetable: ${agent.model.id} has no list price, so a budget cannot be enforced on it; add it to the price table`);
    }
    const environment = await this.environments.retrieve(caller, params.environment_id);
    if (environment.archived_at) {
      throw new LonghandError('environment_archived', `environment ${environment.id} is archived and cannot be used by new sessions`);
    }
    for (const vaultId of params.vault_ids ?? []) {
      const vault = await this.store.documents.get('vault', vaultId);
      if (!vault || vault.workspaceId !== caller.workspaceId) throw notFound('vault', vaultId);
    }
    // Everything is checked before anything is written: a rejected request stores nothing.
    if (params.initial_events && params.initial_events.length > 0) await this.events.checkInitial(caller, params.initial_events);
    const id = newId('session');
    const now = isoNow();
    const resources = await resolveResources(caller, this.store, this.files, id, environment, params.resources ?? []);
    const session: Session = {
      type: 'session',
      id,
      title: params.title ?? null,
      status: 'idle',
      environment_id: environment.id,
      agent,
      resources,
      vault_ids: params.vault_ids ?? [],
      metadata: params.metadata ?? {},
      usage: {},
      stats: {},
      outcome_evaluations: [],
      budget: params.budget ?? null,
      archived_at: null,
      created_at: now,
      updated_at: now,
    };
    await this.store.sessions.create(caller.workspaceId, session);
    if (params.initial_events && params.initial_events.length > 0) {
      await this.events.send(caller, id, params.initial_events);
    }
    return this.retrieve(caller, id);
  }

  /** The stored record of a session visible to the caller, or 404. */
  async record(caller: Caller, id: string): Promise<SessionRecord> {
    const record = await this.store.sessions.get(id);
    if (!record || record.workspaceId !== caller.workspaceId) throw notFound('session', id);
    return record;
  }

  async retrieve(caller: Caller, id: string): Promise<Session> {
    return (await this.record(caller, id)).session;
  }

  async update(caller: Caller, id: string, params: SessionUpdateParamsT): Promise<Session> {
    const { session } = await this.record(caller, id);
    if (params.vault_ids !== undefined) throw invalidRequest('vault_ids cannot be changed after a session is created');
    if (session.archived_at) throw new LonghandError('session_archived', `session ${id} is archived and read-only`, { retryable: false });
    if (session.status === 'terminated') throw new LonghandError('state_conflict', `session ${id} is terminated and read-only`, { retryable: false });
    const changes: SessionChanges = {};
    const updated: Extract<EventBody, { type: 'session.updated' }> = { type: 'session.updated' };
    if (params.title !== undefined && params.title !== session.title) {
      changes.title = params.title;
      updated.title = params.title;
    }
    if (params.metadata !== undefined) {
      const metadata = patchMetadata(session.metadata, params.metadata);
      if (JSON.stringify(metadata) !== JSON.stringify(session.metadata)) {
        changes.metadata = metadata;
        updated.metadata = metadata;
      }
    }
    if (params.agent !== undefined && (params.agent.tools !== undefined || params.agent.mcp_servers !== undefined)) {
      if (session.status === 'running' || session.status === 'rescheduling') {
        throw new LonghandError('session_busy', `session ${id} is running; change its tools once it is idle`);
      }
      const { tools, mcp_servers } = normalizeTools(
        params.agent.tools ?? (session.agent.tools as never),
        params.agent.mcp_servers ?? session.agent.mcp_servers,
        session.agent.skills,
      );
      const agent = { ...session.agent, tools, mcp_servers };
      if (JSON.stringify(agent) !== JSON.stringify(session.agent)) {
        changes.agent = agent;
        updated.agent = agent;
      }
    }
    if (params.budget !== undefined) {
      const budget = await this.checkBudgetChange(session, params.budget);
      if (JSON.stringify(budget) !== JSON.stringify(session.budget)) {
        changes.budget = budget;
        updated.budget = budget;
      }
    }
    if (Object.keys(changes).length === 0) return session;
    const record = await this.store.sessions.update(id, changes);
    if (!record) throw notFound('session', id);
    // A raised or removed budget may let a paused turn go on: the wake mark reaches whichever
    // process runs sessions (with PostgreSQL, maybe not this one), the waker this one's at once.
    const wake = changes.budget !== undefined;
    await this.store.events.append(id, [{ body: updated }], { wake });
    if (wake) this.waker.wake(id);
    return record.session;
  }

  private async checkBudgetChange(session: Session, budget: Session['budget']): Promise<Session['budget']> {
    if (budget === null) return null;
    if (session.budget === null) {
      throw invalidRequest('budget_create_only: a budget can only be set when the session is created, or raised later');
    }
    const spent = Number(session.usage.list_cost?.amount ?? '0');
    if (Number(budget.max_list_cost.amount) <= spent) {
      throw invalidRequest(`budget_not_raised: max_list_cost must be greater than the ${spent} cents already spent`);
    }
    return budget;
  }

  async list(caller: Caller, query: SessionListQueryT): Promise<BidirectionalPage<Session>> {
    const order = query.order ?? 'desc';
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const cursor = query.page ? decodeCursor(query.page, order) : undefined;
    if (cursor && typeof cursor.after === 'number') throw invalidRequest('page is not a valid page cursor');
    const backwards = cursor?.dir === 'prev';
    const records = await this.store.sessions.list({
      workspaceId: caller.workspaceId,
      order,
      limit: limit + 1,
      ...(cursor ? { after: cursor.after as [string, string] } : {}),
      backwards,
      agentId: query.agent_id,
      agentVersion: query.agent_version,
      deploymentId: query.deployment_id,
      memoryStoreId: query.memory_store_id,
      statuses: query.statuses,
      includeArchived: query.include_archived ?? false,
      createdAt: { gt: query['created_at[gt]'], gte: query['created_at[gte]'], lt: query['created_at[lt]'], lte: query['created_at[lte]'] },
    });
    const more = records.length > limit;
    // Backwards pages come back in `order`; the extra row is the one furthest from the cursor.
    const page = backwards ? (more ? records.slice(1) : records) : records.slice(0, limit);
    const data = page.map((record) => record.session);
    const first = data[0];
    const last = data[data.length - 1];
    const at = (s: Session, dir: 'next' | 'prev') => encodeCursor({ after: [s.created_at, s.id], order, dir });
    const next_page = backwards ? (last ? at(last, 'next') : null) : more && last ? at(last, 'next') : null;
    const prev_page = backwards ? (more && first ? at(first, 'prev') : null) : cursor && first ? at(first, 'prev') : null;
    return { data, next_page, prev_page };
  }

  async archive(caller: Caller, id: string): Promise<Session> {
    const { session } = await this.record(caller, id);
    if (session.archived_at) return session;
    if (session.status === 'running' || session.status === 'rescheduling') {
      throw new LonghandError('session_busy', `session ${id} is running; interrupt it and wait for idle before archiving`);
    }
    await this.store.sessions.update(id, { archivedAt: isoNow() });
    if (session.status !== 'terminated') await this.store.events.append(id, [{ body: { type: 'session.status_terminated' } }]);
    return this.retrieve(caller, id);
  }

  async delete(caller: Caller, id: string): Promise<{ id: string; type: 'session_deleted' }> {
    const { session } = await this.record(caller, id);
    if (session.status === 'running' || session.status === 'rescheduling') {
      throw new LonghandError('session_busy', `session ${id} is running; interrupt it and wait for idle before deleting`);
    }
    await this.store.sessions.delete(id);
    await this.files.deleteSessionFiles(caller, id);
    await this.release(id);
    await this.store.documents.deleteChildren(SESSION_SECRET, id);
    return { id, type: 'session_deleted' };
  }
}
