import type {
  Agent,
  BidirectionalPage,
  Checkpoint,
  Environment,
  Session,
  SessionEvent,
  SessionStatus,
} from '@longhand/protocol';
import type { ApiClient } from './client.js';

/** One entry of a session's workspace listing (`GET /v1/sessions/{id}/workspace/files`). */
export interface WorkspaceEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink';
  size: number;
  mtime: string;
}

export interface SessionListFilter {
  statuses?: SessionStatus[];
  agentId?: string;
  includeArchived?: boolean;
  limit?: number;
  page?: string | null;
}

/** A client event the console sends (a subset of spec 4.2). */
export type ClientEvent =
  | { type: 'user.message'; content: Array<{ type: 'text'; text: string }> }
  | { type: 'user.interrupt' }
  | { type: 'user.tool_confirmation'; tool_use_id: string; result: 'allow' | 'deny'; deny_message?: string }
  | { type: 'user.custom_tool_result'; custom_tool_use_id: string; content: Array<{ type: 'text'; text: string }>; is_error?: boolean };

/** What the fork dialog sends (`POST /v1/sessions/{id}/fork`); omitted fields default to the parent's. */
export interface ForkParams {
  checkpoint_id?: string;
  title?: string;
}

/** The newest checkpoints of a session, and whether it has older ones than these. */
export interface CheckpointList {
  data: Checkpoint[];
  more: boolean;
}

const enc = encodeURIComponent;

/**
 * The newest `count` checkpoints of a session, following `next_page` (the server lists them
 * newest first, at most 1000 a page). Asking again with a larger count shows older ones while
 * keeping the list one consistent snapshot, which a polled list needs.
 */
async function newestCheckpoints(client: ApiClient, sessionId: string, count: number): Promise<CheckpointList> {
  const data: Checkpoint[] = [];
  let page: string | null = null;
  do {
    const result: { data: Checkpoint[]; next_page: string | null } = await client.get(`/v1/sessions/${enc(sessionId)}/checkpoints`, {
      limit: Math.min(1000, count - data.length),
      page,
    });
    data.push(...result.data);
    page = result.next_page;
  } while (page && data.length < count);
  return { data, more: page !== null };
}

/**
 * The endpoints the console uses, typed with the wire types of `@longhand/protocol`. Each
 * function is a thin call: no caching, no retries (the stream reconnects on its own).
 */
export function resources(client: ApiClient) {
  return {
    agents: {
      list: (includeArchived = false) => client.listAll<Agent>('/v1/agents', { limit: 100, include_archived: includeArchived }, { max: 1000 }),
      get: (id: string, version?: number) => client.get<Agent>(`/v1/agents/${enc(id)}`, { version }),
      versions: (id: string) => client.listAll<Agent>(`/v1/agents/${enc(id)}/versions`, { limit: 100 }, { max: 1000 }),
      create: (body: Record<string, unknown>) => client.post<Agent>('/v1/agents', body),
      update: (id: string, body: Record<string, unknown>) => client.post<Agent>(`/v1/agents/${enc(id)}`, body),
      archive: (id: string) => client.post<Agent>(`/v1/agents/${enc(id)}/archive`),
    },
    environments: {
      list: (includeArchived = false) =>
        client.listAll<Environment>('/v1/environments', { limit: 100, include_archived: includeArchived }, { max: 1000 }),
      get: (id: string) => client.get<Environment>(`/v1/environments/${enc(id)}`),
      create: (body: Record<string, unknown>) => client.post<Environment>('/v1/environments', body),
      update: (id: string, body: Record<string, unknown>) => client.post<Environment>(`/v1/environments/${enc(id)}`, body),
      archive: (id: string) => client.post<Environment>(`/v1/environments/${enc(id)}/archive`),
    },
    sessions: {
      list: (filter: SessionListFilter = {}) =>
        client.get<BidirectionalPage<Session>>('/v1/sessions', {
          limit: filter.limit ?? 50,
          page: filter.page,
          statuses: filter.statuses,
          agent_id: filter.agentId,
          include_archived: filter.includeArchived,
        }),
      get: (id: string) => client.get<Session>(`/v1/sessions/${enc(id)}`),
      create: (body: Record<string, unknown>) => client.post<Session>('/v1/sessions', body),
      update: (id: string, body: Record<string, unknown>) => client.post<Session>(`/v1/sessions/${enc(id)}`, body),
      archive: (id: string) => client.post<Session>(`/v1/sessions/${enc(id)}/archive`),
      delete: (id: string) => client.delete<{ id: string; type: 'session_deleted' }>(`/v1/sessions/${enc(id)}`),
      /** A new session from a checkpoint (Longhand extension). */
      fork: (id: string, params: ForkParams) => client.post<Session>(`/v1/sessions/${enc(id)}/fork`, params),
      /** Rolls the session back to a checkpoint; 400 unless it is idle with no input waiting. */
      restore: (id: string, checkpointId: string) => client.post<Session>(`/v1/sessions/${enc(id)}/restore`, { checkpoint_id: checkpointId }),
    },
    checkpoints: {
      newest: (sessionId: string, count: number) => newestCheckpoints(client, sessionId, count),
      get: (sessionId: string, checkpointId: string) => client.get<Checkpoint>(`/v1/sessions/${enc(sessionId)}/checkpoints/${enc(checkpointId)}`),
      /** Checkpoints now; when nothing happened since the latest one, the server returns that one. */
      take: (sessionId: string) => client.post<Checkpoint>(`/v1/sessions/${enc(sessionId)}/checkpoints`, {}),
    },
    events: {
      /** The whole history, oldest first, 1000 a page (spec 4.6 step 2). */
      history: (sessionId: string, signal?: AbortSignal) =>
        client.listAll<SessionEvent>(`/v1/sessions/${enc(sessionId)}/events`, { limit: 1000 }, signal ? { signal } : {}),
      send: (sessionId: string, events: ClientEvent[]) =>
        client.post<{ data: SessionEvent[] }>(`/v1/sessions/${enc(sessionId)}/events`, { events }),
    },
    workspace: {
      list: (sessionId: string, path: string) =>
        client.listAll<WorkspaceEntry>(`/v1/sessions/${enc(sessionId)}/workspace/files`, { path }, { max: 5000 }),
      content: (sessionId: string, path: string) =>
        client.raw(`/v1/sessions/${enc(sessionId)}/workspace/files/content`, { query: { path }, accept: '*/*' }),
    },
  };
}

export type Resources = ReturnType<typeof resources>;
