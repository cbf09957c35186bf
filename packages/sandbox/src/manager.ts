/**
 * The sandboxes of a process's sessions: one per session, started on demand, suspended when idle
 * (no process left, files kept: idle costs nothing) and brought back transparently by the next
 * call. What a sandbox wrote under /workspace and its home survives suspensions and restarts of
 * the host process, because the provider keeps it in storage keyed by the session id.
 */
import type { ProvidedSandbox, SandboxProvider, SandboxSpec } from './provider.js';
import { SandboxError, type ExecOptions, type FileInfo, type ProcessResult, type Sandbox, type ShellResult } from './sandbox.js';
import type { CheckpointResult, Snapshot, SnapshotStore } from './workspace/snapshots.js';

/** Options of the manager. */
export interface SandboxManagerOptions {
  provider: SandboxProvider;
  /** Suspend a sandbox after this long without a call (default 5 minutes). */
  idleTimeoutMs?: number;
}

const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;

/** A session's sandbox as the manager hands it out: every call counts as activity. */
class ManagedSandbox implements Sandbox {
  readonly id: string;
  readonly workdir: string;
  #inflight = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly inner: ProvidedSandbox,
    private readonly idleTimeoutMs: number,
    private readonly onClose: () => void,
  ) {
    this.id = inner.id;
    this.workdir = inner.workdir;
  }

  shell(command: string, options?: ExecOptions): Promise<ShellResult> {
    return this.#track(() => this.inner.shell(command, options));
  }

  restartShell(): Promise<void> {
    return this.#track(() => this.inner.restartShell());
  }

  exec(argv: readonly string[], options?: ExecOptions): Promise<ProcessResult> {
    return this.#track(() => this.inner.exec(argv, options));
  }

  readFile(path: string, options?: { maxBytes?: number }): Promise<Uint8Array> {
    return this.#track(() => this.inner.readFile(path, options));
  }

  writeFile(path: string, data: Uint8Array | string): Promise<void> {
    return this.#track(() => this.inner.writeFile(path, data));
  }

  stat(path: string): Promise<FileInfo | undefined> {
    return this.#track(() => this.inner.stat(path));
  }

  async suspend(): Promise<void> {
    this.#disarm();
    await this.inner.suspend();
  }

  async close(): Promise<void> {
    this.#disarm();
    this.onClose();
    await this.inner.close();
  }

  /** Runs `work` as activity of this sandbox: it is not suspended for idleness meanwhile. */
  hold<T>(work: () => Promise<T>): Promise<T> {
    return this.#track(work);
  }

  /** Counts the call as activity: no suspension while it runs, the idle clock restarts after. */
  async #track<T>(call: () => Promise<T>): Promise<T> {
    this.#disarm();
    this.#inflight++;
    try {
      return await call();
    } finally {
      this.#inflight--;
      this.arm();
    }
  }

  /** Starts the idle clock if nothing is running. */
  arm(): void {
    this.#disarm();
    if (this.#inflight > 0 || this.inner.state === 'closed') return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#inflight === 0) void this.inner.suspend().catch(() => {});
    }, this.idleTimeoutMs);
    // An idle sandbox must not keep the host process alive.
    this.#timer.unref();
  }

  #disarm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** Sandboxes by session id. */
export class SandboxManager {
  readonly #provider: SandboxProvider;
  readonly #idleTimeoutMs: number;
  readonly #sandboxes = new Map<string, Promise<ManagedSandbox>>();

  constructor(options: SandboxManagerOptions) {
    this.#provider = options.provider;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  }

  /**
   * The session's sandbox, running: started now if it was not (first use, after an idle
   * suspension, after a restart of this process). The spec of the call that opened it holds
   * until `close`.
   * @example const sandbox = await manager.acquire('sesn_01…', { env: { CI: '1' } });
   */
  async acquire(sessionId: string, spec?: SandboxSpec): Promise<Sandbox> {
    let pending = this.#sandboxes.get(sessionId);
    if (!pending) {
      pending = this.#provider.open(sessionId, spec).then(
        (inner) => new ManagedSandbox(inner, this.#idleTimeoutMs, () => this.#forget(sessionId, pending!)),
      );
      this.#sandboxes.set(sessionId, pending);
      pending.catch(() => this.#forget(sessionId, pending!));
    }
    const sandbox = await pending;
    await sandbox.inner.start();
    sandbox.arm();
    return sandbox;
  }

  /** The host uid and gid the session's sandbox runs as (for its egress proxy's socket). */
  hostIdentity(sessionId: string): Promise<{ uid: number; gid: number }> {
    return this.#provider.identity(sessionId);
  }

  /** Whether the session's sandbox has processes right now (false when idle-suspended). */
  isRunning(sessionId: string): Promise<boolean> {
    const pending = this.#sandboxes.get(sessionId);
    if (!pending) return Promise.resolve(false);
    return pending.then((s) => s.inner.state === 'running', () => false);
  }

  /** Stops the session's sandbox for good in this process; its files stay. */
  async close(sessionId: string): Promise<void> {
    const pending = this.#sandboxes.get(sessionId);
    if (!pending) return;
    this.#forget(sessionId, pending);
    const sandbox = await pending.catch(() => undefined);
    await sandbox?.close();
  }

  /** Closes every sandbox (on shutdown). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#sandboxes.keys()].map((id) => this.close(id)));
  }

  /** The provider's checkpoints and layers, when its storage is layered. */
  get snapshots(): SnapshotStore | undefined {
    return this.#provider.snapshots;
  }

  /**
   * Freezes the session's files into a snapshot. A running sandbox is frozen (cgroup freezer)
   * while its writable layer is copied, so the snapshot falls between writes; where it cannot be
   * frozen (no cgroup freezer, the unsandboxed provider) it is suspended first: its processes
   * stop, its files stay, and the next call resumes it. A stopped one is checkpointed directly.
   * @throws SandboxError `unavailable` when the provider's storage is not layered
   * @example const { snapshot } = await manager.checkpoint('sesn_01…'); // record snapshot.layers
   */
  async checkpoint(sessionId: string): Promise<CheckpointResult> {
    const store = this.#requireSnapshots();
    const pending = this.#sandboxes.get(sessionId);
    const sandbox = pending ? await pending.catch(() => undefined) : undefined;
    if (sandbox && sandbox.inner.state === 'running') {
      const inner = sandbox.inner;
      if (inner.freezable && inner.quiesce) return sandbox.hold(() => store.checkpoint(sessionId, (work) => inner.quiesce!(work)));
      await sandbox.suspend();
    }
    return store.checkpoint(sessionId);
  }

  /**
   * Creates the storage of session `newSessionId` from `snapshot` (constant time with overlays).
   * The new session's sandbox starts on its first `acquire`.
   * @throws SandboxError `not_found` for a layer that is not stored, `unavailable` when the new
   *   session has storage already
   */
  async fork(snapshot: Snapshot, newSessionId: string): Promise<void> {
    await this.#requireSnapshots().fork(snapshot, newSessionId);
  }

  /**
   * Replaces the session's files by `snapshot`: its sandbox is stopped first (its files as they
   * were are dropped), and the next call starts it on the snapshot.
   * @throws SandboxError `not_found` for a layer that is not stored
   */
  async restore(sessionId: string, snapshot: Snapshot): Promise<void> {
    const store = this.#requireSnapshots();
    const pending = this.#sandboxes.get(sessionId);
    const sandbox = pending ? await pending.catch(() => undefined) : undefined;
    await sandbox?.suspend();
    await store.restore(sessionId, snapshot);
  }

  #requireSnapshots(): SnapshotStore {
    const store = this.#provider.snapshots;
    if (!store) throw new SandboxError('unavailable', `the ${this.#provider.kind} provider's storage keeps no checkpoints`);
    return store;
  }

  /** Closes the session's sandbox and deletes its files (the session is deleted). */
  async destroy(sessionId: string): Promise<void> {
    await this.close(sessionId);
    await this.#provider.destroy(sessionId);
  }

  #forget(sessionId: string, pending: Promise<ManagedSandbox>): void {
    if (this.#sandboxes.get(sessionId) === pending) this.#sandboxes.delete(sessionId);
  }
}
