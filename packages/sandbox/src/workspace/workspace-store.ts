/**
 * Where a sandbox's writable files live on the host, behind a small interface so the layout can
 * change without touching the providers.
 *
 * `DirWorkspaceStore` (phase 1) keeps them as plain directories. `OverlayWorkspaceStore` (the
 * default) stacks immutable layers (an environment's base layer, frozen checkpoints) as overlayfs
 * lower directories under the sandbox's writable layer, mounted (nosuid, nodev) by `mount` and
 * unmounted by `unmount`, or serves the same interface by copies where overlayfs is unavailable. The providers only ever
 * bind the directories `mount` returns, so upper and work directories never enter the sandbox's
 * view.
 */

/** The durable facts about one sandbox's storage. */
export interface WorkspaceRecord {
  /** Format of the record; bumped when the layout changes so old storage keeps loading. */
  version: 1 | 2;
  /** The sandbox id (the session's), also the name of its directory. */
  id: string;
  /** Host uid and gid owning the writable files, and running the sandbox's processes. */
  uid: number;
  gid: number;
  /**
   * How the writable files are stored: `dir` (version 1, DirWorkspaceStore: plain directories),
   * `overlay` (version 2: a writable layer over `layers`), `copy` (version 2: plain directories
   * with layered checkpoints, where overlayfs cannot be used).
   */
  layout: 'dir' | 'overlay' | 'copy';
  /** When the storage was created (ISO 8601). */
  createdAt: string;
  /** Version 2: the layer ids the writable layer stands on, bottom first. */
  layers?: string[];
}

/** Host directories to show inside a running sandbox. */
export interface WorkspaceMount {
  /** Shown read-write at `/workspace`. */
  workspace: string;
  /** Shown read-write as the home directory. */
  home: string;
  /** Shown read-write at `/mnt/session/outputs`. */
  outputs: string;
  /** Shown read-only at `/mnt/session/uploads` (unless the spec names another directory). */
  uploads: string;
}

/** Storage of sandboxes' files. Every method is safe to call again after a crash. */
export interface WorkspaceStore {
  /** The sandbox's record, creating its storage (and claiming its uid) on first use. */
  ensure(id: string): Promise<WorkspaceRecord>;
  /**
   * Makes the files ready to be shown to a starting sandbox and says where they are. Refuses
   * storage that is not what it should be (wrong owner, a symlink in place of a directory).
   */
  mount(id: string): Promise<WorkspaceMount>;
  /** Undoes `mount` once the sandbox has stopped; the files stay. */
  unmount(id: string): Promise<void>;
  /** Deletes the sandbox's files and record for good, and releases its uid. */
  destroy(id: string): Promise<void>;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * Checks that `id` can name a directory: letters, digits, `_`, `.` and `-`, not starting with a
 * dot, at most 128 characters. Session ids (`sesn_…`) qualify.
 * @throws Error otherwise
 */
export function assertSandboxId(id: string): void {
  if (!ID.test(id)) throw new Error(`invalid sandbox id ${JSON.stringify(id)}`);
}
