/**
 * Phase 1 storage: each sandbox's writable files are plain directories.
 *
 * ```
 * <root>/                        0711 root: traversable by sandbox uids, listable by nobody else
 *   workspaces/<id>/             0711 root
 *     workspace.json             0600 the WorkspaceRecord (uid, layout, version)
 *     rw/                        0700 uid  the writable layer (phase 2: the overlay's upper dir)
 *       workspace/ home/ outputs/
 *     uploads/                   0750 root:gid, written by the host, shown read-only
 *   uids/<uid>                   claims (see uid-claims.ts)
 * ```
 *
 * Phase 2 adds `work/` (overlayfs work dir) and `merged/` next to `rw/`, and frozen layers under
 * `<root>/layers/`; a sandbox is only ever shown subdirectories of what `mount` returns.
 *
 * Why this is safe from hazard 1 (a sandbox planting a setuid binary the host runs as root): the
 * sandbox runs as its own non-root uid, so everything it creates belongs to that uid, never to
 * root; `rw/` is 0700, so no other host user can even reach a setuid-uid file; the host never
 * executes anything from storage; and `mount` refuses storage whose owner is not the sandbox's uid.
 */
import { chmodSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { SandboxError } from '../sandbox.js';
import { assertUidRange, claimUid, releaseUid, type UidRange } from './uid-claims.js';
import { assertSandboxId, type WorkspaceMount, type WorkspaceRecord, type WorkspaceStore } from './workspace-store.js';
import { createDirectory } from './layered-record.js';

/** Options of the directory store. */
export interface DirWorkspaceStoreOptions {
  /** The storage root, used by this store alone. */
  root: string;
  /**
   * A uid range (one uid per sandbox, files chowned to it: needs root), or `self` to keep
   * everything owned by the current process (the unsandboxed provider, a non-root server).
   */
  uids: UidRange | 'self';
}

const WRITABLE = ['workspace', 'home', 'outputs'] as const;

/** Plain directories under one root. */
export class DirWorkspaceStore implements WorkspaceStore {
  readonly root: string;
  #uids: UidRange | 'self';

  /**
   * Creates the root if needed. With a uid range, sandbox uids must be able to traverse the
   * root's ancestors (bwrap runs as them and opens the directories it binds).
   * @throws Error on a uid range that could reach root or login accounts, or naming the first
   *   ancestor a sandbox uid cannot traverse
   */
  constructor(options: DirWorkspaceStoreOptions) {
    this.root = resolve(options.root);
    this.#uids = options.uids;
    if (options.uids !== 'self') assertUidRange(options.uids);
    mkdirSync(join(this.root, 'workspaces'), { recursive: true });
    if (options.uids !== 'self') {
      chmodSync(this.root, 0o711);
      chmodSync(join(this.root, 'workspaces'), 0o711);
      for (let dir = dirname(this.root); ; dir = dirname(dir)) {
        if ((statSync(dir).mode & 0o001) === 0) {
          throw new Error(
            `sandbox storage ${this.root} is not reachable by sandbox uids: ${dir} lacks execute permission for others (chmod o+x ${dir}, or choose another data directory)`,
          );
        }
        if (dir === dirname(dir)) break;
      }
    }
  }

  async ensure(id: string): Promise<WorkspaceRecord> {
    assertSandboxId(id);
    const dir = this.#dir(id);
    mkdirSync(dir, { recursive: true, mode: 0o711 });
    let record = this.#read(id);
    if (!record) {
      const uid = this.#uids === 'self' ? (process.getuid?.() ?? 0) : claimUid(this.#claims(), this.#uids, id);
      const gid = this.#uids === 'self' ? (process.getgid?.() ?? 0) : uid;
      const fresh: WorkspaceRecord = { version: 1, id, uid, gid, layout: 'dir', createdAt: new Date().toISOString() };
      try {
        writeFileSync(this.#recordPath(id), `${JSON.stringify(fresh)}\n`, { flag: 'wx', mode: 0o600 });
        record = fresh;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        // Another process created it first: keep theirs, give our uid back.
        if (this.#uids !== 'self') releaseUid(this.#claims(), uid, id);
        record = this.#read(id);
        if (!record) throw new SandboxError('unavailable', `the record of sandbox ${id} is being written`, true);
      }
    }
    this.#createDirectories(id, record);
    return record;
  }

  async mount(id: string): Promise<WorkspaceMount> {
    const record = await this.ensure(id);
    const rw = join(this.#dir(id), 'rw');
    for (const path of [rw, ...WRITABLE.map((name) => join(rw, name))]) {
      const st = lstatSync(path);
      if (!st.isDirectory() || st.uid !== record.uid) {
        throw new SandboxError('unavailable', `refusing to start sandbox ${id}: ${path} is not a directory owned by uid ${record.uid}`);
      }
    }
    return {
      workspace: join(rw, 'workspace'),
      home: join(rw, 'home'),
      outputs: join(rw, 'outputs'),
      uploads: join(this.#dir(id), 'uploads'),
    };
  }

  async unmount(_id: string): Promise<void> {
    // Plain directories: nothing is mounted.
  }

  async destroy(id: string): Promise<void> {
    assertSandboxId(id);
    const record = this.#read(id);
    // Removing the record last would leave a half-deleted tree that `ensure` reuses; renaming the
    // directory first makes the deletion all-or-nothing from `ensure`'s point of view.
    const dir = this.#dir(id);
    const doomed = `${dir}.deleting-${process.pid}-${Date.now()}`;
    try {
      renameSync(dir, doomed);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    rmSync(doomed, { recursive: true, force: true });
    if (record && this.#uids !== 'self') releaseUid(this.#claims(), record.uid, id);
  }

  #dir(id: string): string {
    return join(this.root, 'workspaces', id);
  }

  #recordPath(id: string): string {
    return join(this.#dir(id), 'workspace.json');
  }

  #claims(): string {
    return join(this.root, 'uids');
  }

  #read(id: string): WorkspaceRecord | undefined {
    let text: string;
    try {
      text = readFileSync(this.#recordPath(id), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const record = JSON.parse(text) as WorkspaceRecord;
    if (record.version !== 1 || record.id !== id || !Number.isInteger(record.uid) || !Number.isInteger(record.gid)) {
      throw new SandboxError('unavailable', `the record of sandbox ${id} is not one this version understands`);
    }
    return record;
  }

  /** Creates whatever is missing, owned by the record's uid (idempotent, crash-safe). */
  #createDirectories(id: string, record: WorkspaceRecord): void {
    const owner = (uid: number, gid: number) => (this.#uids === 'self' ? undefined : { uid, gid });
    const rw = join(this.#dir(id), 'rw');
    createDirectory(rw, 0o700, owner(record.uid, record.gid));
    for (const name of WRITABLE) createDirectory(join(rw, name), 0o755, owner(record.uid, record.gid));
    createDirectory(join(this.#dir(id), 'uploads'), 0o750, owner(0, record.gid));
  }
}

