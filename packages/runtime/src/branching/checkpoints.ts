import {
  isoNow,
  LonghandError,
  newId,
  notFound,
  encodeCursor,
  decodeCursor,
  type Checkpoint,
  type CursorPage,
  type Session,
  type SessionStatus,
} from '@longhand/protocol';
import type { Store } from '@longhand/store';
import type { Caller } from '../caller.js';
import type { Hands } from '../hands/hands.js';
import type { RoamingWorkspaces } from '../roaming/roaming-workspaces.js';
import { DEFAULT_PAGE_SIZE } from '../paging.js';

export const CHECKPOINT = 'checkpoint';

/** A workspace frozen for a checkpoint: its layers, and what freezing it added to storage. */
export interface FrozenWorkspace {
  snapshot: { layers: string[] };
  addedBytes: number;
}

/** A checkpoint as stored: the wire object, the layers it froze, and where the turn stood. */
export interface StoredCheckpoint {
  checkpoint: Checkpoint;
  layers: string[];
  /** The session's status at the checkpoint: `running` means it was taken in the middle of a turn. */
  status: SessionStatus;
}

/** Checkpoints of sessions (a Longhand extension): the workspace and the log position, frozen together. */
export class Checkpoints {
  constructor(
    private readonly store: Store,
    private readonly hands: () => Hands | undefined,
    /** Set when workspaces roam between workers through the object store. */
    private readonly roaming?: RoamingWorkspaces,
  ) {}

  /**
   * Checkpoints a session at its current position. Taking one at a seq that already has one
   * returns that one, so a repeated call after a crash is harmless; except by hand, when the
   * files may have changed since without an event (a background process writing): then a new
   * one is taken unless the files are the same too.
   */
  async take(sessionId: string, trigger: Checkpoint['trigger']): Promise<Checkpoint> {
    const record = await this.store.sessions.get(sessionId);
    if (!record) throw notFound('session', sessionId);
    const latest = await this.latestRow(record.workspaceId, sessionId);
    const samePosition = latest !== undefined && latest.ord === record.lastSeq;
    if (samePosition && trigger !== 'restore' && trigger !== 'manual') return latest.body.checkpoint;
    const frozen = await this.freeze(sessionId);
    if (samePosition && trigger === 'manual' && sameStack(frozen.snapshot.layers, latest.body.layers)) return latest.body.checkpoint;
    return this.record(sessionId, trigger, record.lastSeq, frozen, record.session.status);
  }

  /** The first step of a checkpoint: the workspace frozen into layers (nothing is recorded yet). */
  async freeze(sessionId: string): Promise<FrozenWorkspace> {
    if (this.roaming) return this.roaming.freeze(sessionId);
    const hands = this.hands();
    return hands ? hands.checkpoint(sessionId) : { snapshot: { layers: [] }, addedBytes: 0 };
  }

  /** The second step: the checkpoint recorded at `seq` with the frozen workspace. */
  async record(sessionId: string, trigger: Checkpoint['trigger'], seq: number, frozen: FrozenWorkspace, status: SessionStatus): Promise<Checkpoint> {
    const record = await this.store.sessions.get(sessionId);
    if (!record) throw notFound('session', sessionId);
    const [at] = seq > 0 ? await this.store.events.read(sessionId, { afterSeq: seq - 1, limit: 1, withRedeliveries: true }) : [];
    const hands = this.hands();
    const checkpoint: Checkpoint = {
      type: 'checkpoint',
      id: newId('checkpoint'),
      session_id: sessionId,
      seq,
      event_id: at?.event.id ?? null,
      trigger,
      size_bytes: this.roaming ? await this.roaming.layerBytes(frozen.snapshot.layers) : hands ? await hands.layerBytes(frozen.snapshot.layers) : 0,
      added_bytes: frozen.addedBytes,
      created_at: isoNow(),
    };
    await this.store.documents.insert<StoredCheckpoint>({
      kind: CHECKPOINT,
      id: checkpoint.id,
      workspaceId: record.workspaceId,
      parentId: sessionId,
      ord: seq,
      name: null,
      createdAt: checkpoint.created_at,
      archivedAt: null,
      body: { checkpoint, layers: frozen.snapshot.layers, status },
    });
    return checkpoint;
  }

  private async latestRow(workspaceId: string, sessionId: string) {
    const [row] = await this.store.documents.list<StoredCheckpoint>(CHECKPOINT, { workspaceId, parentId: sessionId, byOrd: true, order: 'desc', limit: 1 });
    return row;
  }

  /** A checkpoint of the caller's session, with its layers; 404 otherwise. */
  async find(caller: Caller, sessionId: string, checkpointId: string): Promise<StoredCheckpoint> {
    const row = await this.store.documents.get<StoredCheckpoint>(CHECKPOINT, checkpointId);
    if (!row || row.workspaceId !== caller.workspaceId || row.parentId !== sessionId) throw notFound('checkpoint', checkpointId);
    return row.body;
  }

  /** The latest checkpoint of a session, if it has any. */
  async latest(caller: Caller, sessionId: string): Promise<StoredCheckpoint | undefined> {
    return (await this.latestRow(caller.workspaceId, sessionId))?.body;
  }

  /** A page of a session's checkpoints, newest first. */
  async list(caller: Caller, sessionId: string, query: { limit?: number | undefined; page?: string | undefined }): Promise<CursorPage<Checkpoint>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const cursor = query.page ? decodeCursor(query.page, 'desc') : undefined;
    if (cursor && !Array.isArray(cursor.after)) throw new LonghandError('invalid_request', 'page is not a valid page cursor');
    const rows = await this.store.documents.list<StoredCheckpoint>(CHECKPOINT, {
      workspaceId: caller.workspaceId,
      parentId: sessionId,
      order: 'desc',
      ...(cursor ? { after: cursor.after as [string, string] } : {}),
      limit: limit + 1,
    });
    const data = rows.slice(0, limit);
    const last = data[data.length - 1];
    return {
      data: data.map((row) => row.body.checkpoint),
      next_page: rows.length > limit && last ? encodeCursor({ after: [last.createdAt, last.id], order: 'desc', dir: 'next' }) : null,
    };
  }

  /** Layers every checkpoint still needs: what garbage collection must keep. */
  async referencedLayers(): Promise<Set<string>> {
    const keep = new Set<string>();
    for (let after: string | undefined; ; ) {
      const rows = await this.store.documents.listKind<StoredCheckpoint>(CHECKPOINT, after, 500);
      for (const row of rows) for (const layer of row.body.layers) keep.add(layer);
      if (rows.length < 500) return keep;
      after = rows[rows.length - 1]!.id;
    }
  }

  /** Forgets a deleted session's checkpoints. */
  async deleteOf(sessionId: string): Promise<void> {
    await this.store.documents.deleteChildren(CHECKPOINT, sessionId);
  }
}

/** The session object of a fork: the parent's configuration under a new id, with its lineage. */
export function forkedSession(parent: Session, checkpoint: Checkpoint, params: { title?: string | null | undefined; metadata?: Record<string, string> | undefined }): Session {
  const now = isoNow();
  return {
    ...parent,
    id: newId('session'),
    title: params.title === undefined ? parent.title : params.title,
    metadata: params.metadata ?? parent.metadata,
    status: 'idle',
    usage: {},
    stats: {},
    forked_from: { session_id: parent.id, checkpoint_id: checkpoint.id, seq: checkpoint.seq },
    archived_at: null,
    created_at: now,
    updated_at: now,
  };
}

function sameStack(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((layer, i) => layer === b[i]);
}
