import { setTimeout as sleep } from 'node:timers/promises';
import { TURN_OVER } from '@longhand/harness';
import { LonghandError, type Checkpoint, type Session, type SessionForkParamsT, type SessionRestoreParamsT } from '@longhand/protocol';
import type { Store } from '@longhand/store';
import type { Caller } from '../caller.js';
import type { Files } from '../files/files.js';
import type { Hands } from '../hands/hands.js';
import type { RoamingWorkspaces } from '../roaming/roaming-workspaces.js';
import type { Waker } from '../scheduler/waker.js';
import type { Sessions } from '../sessions/sessions.js';
import { Checkpoints, forkedSession, type StoredCheckpoint } from './checkpoints.js';

const BUSY: ReadonlySet<string> = new Set(['running', 'rescheduling']);
/** How long a fork waits for the checkpoint of a turn that has just ended. */
const END_OF_TURN_WAIT_MS = 2000;

/**
 * Forks and restores (a Longhand extension, docs/api-extensions.md). A fork is a new session
 * whose log starts as a copy of the parent's up to a checkpoint and whose workspace stacks a new
 * writable layer on the checkpoint's frozen ones. A restore rolls a session back by appending
 * `session.restored`; the log is never rewritten.
 */
export class Branching {
  constructor(
    private readonly store: Store,
    private readonly sessions: Sessions,
    private readonly files: Files,
    readonly checkpoints: Checkpoints,
    private readonly hands: () => Hands | undefined,
    private readonly waker: Waker,
    /** Set when workspaces roam between workers: forks and restores then only record a stack. */
    private readonly roaming?: RoamingWorkspaces,
  ) {}

  /** Checkpoints a session now, on request. */
  async checkpoint(caller: Caller, sessionId: string): Promise<Checkpoint> {
    const { session } = await this.sessions.record(caller, sessionId);
    if (session.archived_at) throw new LonghandError('session_archived', `session ${sessionId} is archived`, { retryable: false });
    return this.checkpoints.take(sessionId, 'manual');
  }

  async fork(caller: Caller, sessionId: string, params: SessionForkParamsT): Promise<Session> {
    const record = await this.sessions.record(caller, sessionId);
    const parent = record.session;
    const stored = params.checkpoint_id ? await this.checkpoints.find(caller, sessionId, params.checkpoint_id) : await this.latestForFork(caller, sessionId, record.lastSeq);
    const session = forkedSession(parent, stored.checkpoint, params);
    session.resources = await Promise.all(
      parent.resources.map(async (resource) =>
        resource.type === 'file' ? { ...resource, file_id: (await this.files.copyForSession(caller, resource.file_id, session.id)).id } : resource,
      ),
    );
    await this.store.sessions.create(caller.workspaceId, session, { parentSessionId: parent.id });
    await this.store.events.copyPrefix(parent.id, session.id, stored.checkpoint.seq);
    if (this.roaming) await this.roaming.fork(stored.layers, parent.id, session.id, caller.workspaceId);
    else await this.hands()?.fork(stored.layers, parent.id, session.id);
    await this.checkpoints.take(session.id, 'fork');
    await this.continueIfMidTurn(session.id, stored);
    return this.sessions.retrieve(caller, session.id);
  }

  async restore(caller: Caller, sessionId: string, params: SessionRestoreParamsT): Promise<Session> {
    const record = await this.settledRecord(caller, sessionId);
    const { session } = record;
    if (session.archived_at) throw new LonghandError('session_archived', `session ${sessionId} is archived and read-only`, { retryable: false });
    if (BUSY.has(session.status)) {
      throw new LonghandError('session_busy', `session ${sessionId} is running; interrupt it and wait for idle before restoring`);
    }
    if (record.wakeSeq > 0) throw new LonghandError('session_busy', `session ${sessionId} has input it has not taken up yet; restore once it is idle`);
    const stored = await this.checkpoints.find(caller, sessionId, params.checkpoint_id);
    if (this.roaming) await this.roaming.restore(sessionId, stored.layers);
    else await this.hands()?.restore(sessionId, stored.layers);
    await this.store.events.append(sessionId, [
      { body: { type: 'session.restored', checkpoint_id: stored.checkpoint.id, restored_to_seq: stored.checkpoint.seq } },
    ]);
    await this.checkpoints.take(sessionId, 'restore');
    await this.continueIfMidTurn(sessionId, stored);
    return this.sessions.retrieve(caller, sessionId);
  }

  /**
   * The checkpoint a fork starts from by default: the latest. A turn's own checkpoint is recorded
   * a moment after its `session.status_idle`, so a fork made on seeing that event waits for it
   * (up to 2 s; then, the end-of-turn checkpoint having failed, it takes one itself) rather than
   * start from the turn before.
   */
  private async latestForFork(caller: Caller, sessionId: string, lastSeq: number): Promise<StoredCheckpoint> {
    const [last] = lastSeq > 0 ? await this.store.events.read(sessionId, { afterSeq: lastSeq - 1, limit: 1 }) : [];
    const turnJustEnded = last?.event.type === 'session.status_idle' && TURN_OVER.has(last.event.stop_reason.type);
    for (const deadline = Date.now() + END_OF_TURN_WAIT_MS; ; await sleep(25)) {
      const latest = await this.checkpoints.latest(caller, sessionId);
      if (latest && (!turnJustEnded || latest.checkpoint.seq >= lastSeq)) return latest;
      if (!turnJustEnded || Date.now() >= deadline) return this.takeNow(caller, sessionId);
    }
  }

  /**
   * The session's record once a turn that has just ended has let go of it: the harness clears the
   * session's wake mark on its step after `session.status_idle`, so a restore made on seeing that
   * event waits for it (up to 2 s) rather than be refused. A mark that stays, or a turn that
   * starts, is input not taken up yet, and the restore is refused as busy.
   */
  private async settledRecord(caller: Caller, sessionId: string): Promise<Awaited<ReturnType<Sessions['record']>>> {
    for (const deadline = Date.now() + END_OF_TURN_WAIT_MS; ; await sleep(25)) {
      const record = await this.sessions.record(caller, sessionId);
      if (record.wakeSeq === 0 || BUSY.has(record.session.status) || record.session.archived_at || Date.now() >= deadline) return record;
    }
  }

  /** A session with no checkpoint yet is checkpointed when it is first forked. */
  private async takeNow(caller: Caller, sessionId: string): Promise<StoredCheckpoint> {
    const checkpoint = await this.checkpoints.take(sessionId, 'manual');
    return this.checkpoints.find(caller, sessionId, checkpoint.id);
  }

  /**
   * A checkpoint taken in the middle of a turn leaves the turn to finish: the session is marked
   * for rescheduling, so the harness picks it up as after a crash (an interrupted tool call is
   * reported as such; a model request is made again).
   */
  private async continueIfMidTurn(sessionId: string, stored: StoredCheckpoint): Promise<void> {
    if (!BUSY.has(stored.status)) return;
    await this.store.events.append(sessionId, [{ body: { type: 'session.status_rescheduled' } }], { wake: true });
    this.waker.wake(sessionId);
  }
}
