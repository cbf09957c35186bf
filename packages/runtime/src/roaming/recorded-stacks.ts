import type { DocumentRow, Store } from '@longhand/store';

/** Document kind of a session's recorded stack (one per session, id = the session id). */
export const STACK = 'workspace_stack';

/** The files a session stands on, as the last worker to release it left them. */
export interface RecordedStack {
  /** Layer ids, bottom first; every one is in the object store. `null`: nothing recorded yet. */
  layers: string[] | null;
  /** The session's file resources were written into its files (see `Uploads.placeOthers`). */
  placed: boolean;
}

/** A stack write refused because a process with a newer lease has claimed the stack. */
export class StackFencedError extends Error {
  constructor(sessionId: string, token: number, current?: number) {
    super(`session ${sessionId}: the workspace stack is claimed by a newer lease${current === undefined ? '' : ` (token ${current})`}; token ${token} may no longer write it`);
    this.name = 'StackFencedError';
  }
}

const ATTEMPTS = 20;

/**
 * Sessions' recorded stacks in the documents table, fenced by lease tokens. The document's `ord`
 * is the highest lease token that has claimed or written it, and a write carries the writer's
 * token: it goes in only while no higher token has claimed the document (compare-and-set on
 * `ord`). A worker claims the stack with its token as it takes the session's lease, before it
 * reads the stack; from then on no holder of an older lease (a process that was paused or cut
 * off and wakes up) can overwrite it. Tokens only grow, so the check needs no clock.
 */
export class RecordedStacks {
  constructor(private readonly store: Store) {}

  /** The session's recorded stack, or undefined when it has none. */
  async read(sessionId: string): Promise<RecordedStack | undefined> {
    return (await this.store.documents.get<RecordedStack>(STACK, sessionId))?.body;
  }

  /**
   * Raises the stack's fence to `token` and returns the stack as recorded.
   * @throws StackFencedError when a higher token has claimed it (this lease is already lost)
   */
  async claim(sessionId: string, workspaceId: string, token: number): Promise<RecordedStack | undefined> {
    const result = await this.swap(sessionId, workspaceId, token, (current) => current ?? { layers: null, placed: false });
    if (!result.ok) throw new StackFencedError(sessionId, token, result.fence);
    return result.before;
  }

  /** Records `stack` under `token`; false when a higher token has claimed the stack meanwhile. */
  async write(sessionId: string, workspaceId: string, token: number, stack: RecordedStack): Promise<boolean> {
    return (await this.swap(sessionId, workspaceId, token, () => stack)).ok;
  }

  /** Records the first stack of a new session (a fork, an import) at fence 0. */
  async create(sessionId: string, workspaceId: string, stack: RecordedStack): Promise<void> {
    await this.store.documents.insert<RecordedStack>(row(sessionId, workspaceId, 0, stack));
  }

  /** Forgets a deleted session's stack. */
  async delete(sessionId: string): Promise<void> {
    await this.store.documents.delete(STACK, sessionId);
  }

  /** Every layer some recorded stack stands on: what garbage collection must keep. */
  async referencedLayers(): Promise<Set<string>> {
    const keep = new Set<string>();
    for (let after: string | undefined; ; ) {
      const rows = await this.store.documents.listKind<RecordedStack>(STACK, after, 500);
      for (const found of rows) for (const layer of found.body.layers ?? []) keep.add(layer);
      if (rows.length < 500) return keep;
      after = rows[rows.length - 1]!.id;
    }
  }

  /** Compare-and-set on the fence: replaces the body by `next(before)` unless a higher token holds it. */
  private async swap(
    sessionId: string,
    workspaceId: string,
    token: number,
    next: (current: RecordedStack | undefined) => RecordedStack,
  ): Promise<{ ok: true; before: RecordedStack | undefined } | { ok: false; fence: number }> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const current = await this.store.documents.get<RecordedStack>(STACK, sessionId);
      if (!current) {
        try {
          await this.store.documents.insert<RecordedStack>(row(sessionId, workspaceId, token, next(undefined)));
          return { ok: true, before: undefined };
        } catch (error) {
          // Another writer inserted it first: look again.
          if (await this.store.documents.get(STACK, sessionId)) continue;
          throw error;
        }
      }
      if (current.ord > token) return { ok: false, fence: current.ord };
      if (await this.store.documents.update<RecordedStack>(STACK, sessionId, { body: next(current.body), ord: token }, current.ord)) {
        return { ok: true, before: current.body };
      }
    }
    throw new Error(`session ${sessionId}: the workspace stack changed ${ATTEMPTS} times while being written`);
  }
}

function row(sessionId: string, workspaceId: string, token: number, stack: RecordedStack): DocumentRow<RecordedStack> {
  return { kind: STACK, id: sessionId, workspaceId, parentId: null, ord: token, name: null, createdAt: new Date().toISOString(), archivedAt: null, body: stack };
}
