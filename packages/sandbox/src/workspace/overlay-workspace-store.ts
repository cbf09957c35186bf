/**
 * Layered workspace storage: immutable, content-addressed layers (layers/layer-repository.ts)
 * stacked under one writable layer per sandbox, shown to the sandbox through a kernel overlay
 * mounted on the host (overlay/overlay-view.ts); or, where overlayfs cannot be used (no root),
 * the same interface served by copies. See docs/decisions/2026-11-23-layered-workspaces.md.
 *
 * ```
 * <root>/                        0711 root
 *   layers/ layer-info/          the layers (see layer-repository.ts)
 *   layers.json                  { owner }: the uid every layer file belongs to
 *   empty/                       the lower directory of an empty stack
 *   workspaces/<id>/             0711 root
 *     workspace.json             0600 { version: 2, id, uid, gid, layout, createdAt, layers }
 *     rw/                        0700 uid   the writable layer (overlay: the upper directory)
 *     merged/ ovl/               the overlay view (see overlay-view.ts)
 *     uploads/                   0750 root:gid
 *   uids/<uid>                   uid claims
 * ```
 *
 * Every method takes a per-sandbox lock, so a checkpoint never meets a mount or a restore of the
 * same sandbox halfway (within one host process; two processes must not serve one sandbox).
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { chown, mkdir, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { SandboxError } from '../sandbox.js';
import type { OverlayAttrs } from './overlay/overlay-helper.js';
import { HelperPool } from './overlay/helper-pool.js';
import { isMountPoint, MAX_LOWER_LAYERS, mountView, onTop, unmountView, viewPaths } from './overlay/overlay-view.js';
import { importLayer } from './layers/layer-import.js';
import { forEachLimit, LayerRepository } from './layers/layer-repository.js';
import { walkLayer } from './layers/layer-walk.js';
import { materialize } from './layers/materialize.js';
import { buildLayer, diffUpper, snapshotUpper, type LayerLookup, type UpperChanges, type UpperManifest } from './layers/upper-snapshot.js';
import type { JournalDraft } from './layers/layer-journal.js';
import { inForeground } from './layers/time-slice.js';
import { createDirectory, readLayeredRecord, writeLayeredRecord, type LayeredRecord } from './layered-record.js';
import { probeLayeredMethod } from './layered-method.js';
import type { CheckpointResult, LayerInfo, Snapshot, SnapshotStore } from './snapshots.js';
import { assertUidRange, claimUid, releaseUid, type UidRange } from './uid-claims.js';
import { assertSandboxId, type WorkspaceMount, type WorkspaceRecord, type WorkspaceStore } from './workspace-store.js';

/** Options of the layered store. */
export interface OverlayWorkspaceStoreOptions {
  /** The storage root, used by this store alone (a `DirWorkspaceStore` root loads as is). */
  root: string;
  /** A uid range (one uid per sandbox: needs root), or `self` to keep everything ours. */
  uids: UidRange | 'self';
  /** `auto` (default): overlay where this host can mount one, else copies. */
  method?: 'auto' | 'overlay' | 'copy';
  /**
   * Mount an overlay even over an empty stack, so `mount` always returns the same paths (the
   * unsandboxed provider's working directory is a host path). Otherwise an empty stack shows the
   * writable directory itself, which makes a fresh sandbox start a few milliseconds sooner.
   */
  stablePaths?: boolean;
  /**
   * Largest total of file data, by length (a sparse file counts in full, as its archive would),
   * one layer may hold (default 16 GiB): a checkpoint that would make a bigger one fails with
   * `too_large`, and `importLayer` refuses one. Hashing and exporting a layer read every byte of
   * that length, so this bounds what one `truncate -s 1T` in a sandbox can cost the host.
   */
  maxLayerBytes?: number;
  /** A stack deeper than this is squashed into one layer at the next mount (default 128). */
  maxStackDepth?: number;
}

const WRITABLE = ['workspace', 'home', 'outputs'] as const;
/** A running snapshot adding more file data than this copies it into a staging directory instead of a journal. */
const JOURNAL_MAX_BYTES = 64 * 1024 * 1024;

/** What this process knows about a sandbox beyond its record. */
interface Live {
  /** How its files are shown right now. */
  mounted: 'overlay' | 'direct' | undefined;
  idmapped: boolean;
  /** The writable layer's state at the last snapshot, and the stack that snapshot produced. */
  manifest: UpperManifest | undefined;
  stack: string[];
  /** Mounted for `browse` only (no sandbox): unmounted when this fires, or when a sandbox takes it. */
  browsing: NodeJS.Timeout | undefined;
}

/** A view mounted only to browse files stays this long after the last look. */
const BROWSE_IDLE_MS = 30_000;

/** Layered storage of sandboxes' files: `WorkspaceStore` for providers, `SnapshotStore` for the runtime. */
export class OverlayWorkspaceStore implements WorkspaceStore, SnapshotStore {
  readonly root: string;
  /** `overlay` (kernel overlayfs) or `copy` (the fallback). */
  readonly method: 'overlay' | 'copy';
  readonly #uids: UidRange | 'self';
  readonly #options: OverlayWorkspaceStoreOptions;
  readonly #repo: LayerRepository;
  readonly #layerOwner: { uid: number; gid: number };
  readonly #locks = new Map<string, Promise<unknown>>();
  get #maxLayerBytes(): number {
    return this.#repo.maxBytes;
  }
  readonly #live = new Map<string, Live>();
  /** Attribute helpers started ahead of need (overlay/helper-pool.ts). */
  readonly #helpers = new HelperPool();

  /**
   * Opens (creating if needed) a store; with `method: 'auto'` tries a real overlay mount first.
   * @throws Error on a uid range that could reach root or login accounts, or a root sandbox uids cannot reach
   */
  static async open(options: OverlayWorkspaceStoreOptions): Promise<OverlayWorkspaceStore> {
    const root = resolve(options.root);
    prepareRoot(root, options.uids);
    const method = options.method === 'overlay' || options.method === 'copy' ? options.method : await probeLayeredMethod(root, options.uids);
    return new OverlayWorkspaceStore({ ...options, root }, method);
  }

  private constructor(options: OverlayWorkspaceStoreOptions, method: 'overlay' | 'copy') {
    this.root = options.root;
    this.method = method;
    this.#uids = options.uids;
    this.#options = options;
    const self = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    this.#layerOwner = options.uids === 'self' ? self : layerOwner(this.root, options.uids);
    this.#repo = new LayerRepository({
      root: this.root,
      owner: options.uids === 'self' ? undefined : this.#layerOwner,
      native: method === 'overlay',
      maxBytes: options.maxLayerBytes ?? 16 * 1024 ** 3,
      attrs: () => this.#attrs(),
    });
    mkdirSync(join(this.root, 'empty'), { recursive: true, mode: 0o755 });
    this.#repo.recover();
  }

  async ensure(id: string): Promise<WorkspaceRecord> {
    assertSandboxId(id);
    return this.#locked(id, async () => publicRecord(await this.#ensure(id, [])));
  }

  async mount(id: string): Promise<WorkspaceMount> {
    assertSandboxId(id);
    return this.#locked(id, async () => {
      const live = this.#liveOf(id);
      if (live.browsing) {
        // Mounted to be browsed: the very view a sandbox needs. It is the sandbox's now.
        clearTimeout(live.browsing);
        live.browsing = undefined;
        return this.#mountedPaths(id, live);
      }
      return this.#mountNow(id, live);
    });
  }

  /**
   * The sandbox's files to read, for the server (the console's workspace browser): the running
   * sandbox's own view, or, when it is stopped, the same view mounted for a while (30 s after the
   * last call) and never remounted under a sandbox that starts meanwhile. Nothing may be written
   * through it.
   */
  async browse(id: string): Promise<WorkspaceMount> {
    assertSandboxId(id);
    return this.#locked(id, async () => {
      const live = this.#liveOf(id);
      if (live.mounted && !live.browsing) return this.#mountedPaths(id, live);
      if (live.browsing) clearTimeout(live.browsing);
      const mount = live.mounted ? this.#mountedPaths(id, live) : await this.#mountNow(id, live);
      live.browsing = setTimeout(() => void this.#locked(id, () => this.#endBrowsing(id, live)).catch(() => {}), BROWSE_IDLE_MS);
      live.browsing.unref();
      return mount;
    });
  }

  /**
   * Unmounts every view mounted only for browsing, lets the layers being unpacked from their
   * journals finish, and ends the spare helper (at shutdown).
   */
  async closeViews(): Promise<void> {
    await Promise.all([...this.#live].filter(([, live]) => live.browsing).map(([id, live]) => this.#locked(id, () => this.#endBrowsing(id, live))));
    await this.#repo.settle();
    this.#helpers.close();
  }

  /** Unmounts a view mounted only for browsing. Call with the sandbox's lock held. */
  async #endBrowsing(id: string, live: Live): Promise<void> {
    if (!live.browsing) return;
    clearTimeout(live.browsing);
    live.browsing = undefined;
    if (live.mounted === 'overlay') await unmountView(viewPaths(this.#dir(id)));
    live.mounted = undefined;
  }

  #mountedPaths(id: string, live: Live): WorkspaceMount {
    const dir = this.#dir(id);
    const shown = live.mounted === 'overlay' ? viewPaths(dir).merged : viewPaths(dir).rw;
    return { workspace: join(shown, 'workspace'), home: join(shown, 'home'), outputs: join(shown, 'outputs'), uploads: join(dir, 'uploads') };
  }

  async #mountNow(id: string, live: Live): Promise<WorkspaceMount> {
    {
      const record = await this.#ensure(id, []);
      const paths = viewPaths(this.#dir(id));
      const uploads = join(this.#dir(id), 'uploads');
      this.#checkOwned(id, paths.rw, record.uid);
      if (this.method === 'overlay') {
        // Left mounted by a host process that died: its sandboxes died with it.
        if (isMountPoint(paths.merged) || isMountPoint(paths.lower)) await unmountView(paths);
        if (record.layers.length > (this.#options.maxStackDepth ?? 128)) await this.#squash(id, record);
        if (record.layers.length > 0 || this.#options.stablePaths) {
          this.#repo.requireAll(record.layers);
          await this.#repo.ready(record.layers);
          const idmapped = record.layers.length > 0 && record.uid !== this.#layerOwner.uid;
          const helper = this.#attrs();
          try {
            await mountView(paths, record.layers, this.#repo.layersDir, join(this.root, 'empty'), idmapped ? { inner: this.#layerOwner.uid, outer: record.uid } : undefined, helper);
          } finally {
            helper?.close();
          }
          live.mounted = 'overlay';
          live.idmapped = idmapped;
          try {
            for (const name of WRITABLE) await this.#ensureTopDir(id, join(paths.merged, name), record);
          } catch (err) {
            await unmountView(paths);
            live.mounted = undefined;
            throw err;
          }
          return { workspace: join(paths.merged, 'workspace'), home: join(paths.merged, 'home'), outputs: join(paths.merged, 'outputs'), uploads };
        }
      }
      for (const name of WRITABLE) await this.#ensureTopDir(id, join(paths.rw, name), record);
      live.mounted = 'direct';
      return { workspace: join(paths.rw, 'workspace'), home: join(paths.rw, 'home'), outputs: join(paths.rw, 'outputs'), uploads };
    }
  }

  async unmount(id: string): Promise<void> {
    assertSandboxId(id);
    await this.#locked(id, async () => {
      const live = this.#liveOf(id);
      if (live.browsing) return this.#endBrowsing(id, live);
      if (live.mounted === 'overlay') {
        const helper = this.#attrs();
        try {
          await unmountView(viewPaths(this.#dir(id)), helper);
        } finally {
          helper?.close();
        }
      }
      live.mounted = undefined;
      // Fold what running snapshots left in the writable layer into one more layer, so the
      // writable layer stays small and shares nothing with the snapshots' layers.
      if (this.method === 'overlay' && live.manifest) await this.#fold(id, live);
    });
  }

  async destroy(id: string): Promise<void> {
    assertSandboxId(id);
    await this.#locked(id, async () => {
      const dir = this.#dir(id);
      const live = this.#live.get(id);
      if (live?.browsing) clearTimeout(live.browsing);
      if (live?.mounted === 'overlay' || (this.method === 'overlay' && existsSync(dir))) await unmountView(viewPaths(dir));
      this.#live.delete(id);
      const record = this.#read(id);
      const doomed = `${dir}.deleting-${process.pid}-${Date.now()}`;
      try {
        await rename(dir, doomed);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      await rm(doomed, { recursive: true, force: true });
      if (record && this.#uids !== 'self') releaseUid(this.#claims(), record.uid, id);
    });
  }

  async checkpoint(id: string, quiesce?: <T>(work: () => Promise<T>) => Promise<T>): Promise<CheckpointResult> {
    assertSandboxId(id);
    return this.#locked(id, async () => {
      const record = await this.#ensure(id, []);
      const live = this.#liveOf(id);
      await this.#endBrowsing(id, live);
      // Ahead of layers being unpacked in the background: a running sandbox is frozen meanwhile.
      if (this.method === 'copy' || live.mounted || live.manifest) return inForeground(() => this.#snapshotInPlace(id, record, live, quiesce));
      return inForeground(() => this.#checkpointStopped(id, record));
    });
  }

  async fork(snapshot: Snapshot, newId: string): Promise<void> {
    assertSandboxId(newId);
    const layers = [...snapshot.layers];
    this.#repo.requireAll(layers);
    await this.#locked(newId, async () => {
      if (this.#read(newId)) throw new SandboxError('unavailable', `sandbox ${newId} has storage already: fork into a new id`);
      await this.#ensure(newId, layers);
    });
  }

  async restore(id: string, snapshot: Snapshot): Promise<void> {
    assertSandboxId(id);
    const layers = [...snapshot.layers];
    this.#repo.requireAll(layers);
    await this.#locked(id, async () => {
      const record = await this.#ensure(id, []);
      const live = this.#liveOf(id);
      await this.#endBrowsing(id, live);
      if (live.mounted) throw new SandboxError('unavailable', `sandbox ${id} is running: stop it before restoring`);
      const rw = viewPaths(this.#dir(id)).rw;
      const fresh = await this.#freshWritable(id, record, layers);
      await this.#replaceWritable(rw, fresh);
      record.layers = layers;
      this.#write(record);
      live.manifest = undefined;
      live.stack = [];
      if (this.method === 'copy') await this.#rememberCopy(rw, live, layers);
    });
  }

  /** Whether sandbox `id` has storage already (`ensure`, `fork` or `restore` made it). */
  hasStorage(id: string): boolean {
    assertSandboxId(id);
    return existsSync(this.#recordPath(id));
  }

  async layersOf(id: string): Promise<string[]> {
    assertSandboxId(id);
    return [...(this.#read(id)?.layers ?? [])];
  }

  async collect(keep: ReadonlySet<string>): Promise<{ removedLayers: number; freedBytes: number }> {
    const protect = new Set<string>();
    const workspaces = join(this.root, 'workspaces');
    for (const name of readdirSync(workspaces)) {
      if (name.includes('.deleting-')) continue;
      try {
        for (const layer of this.#read(name)?.layers ?? []) protect.add(layer);
      } catch {
        // Not a sandbox directory (or an unreadable record): it holds no layer we can see.
      }
    }
    for (const live of this.#live.values()) for (const layer of live.stack) protect.add(layer);
    return this.#repo.collect(keep, protect);
  }

  async layerInfo(id: string): Promise<LayerInfo | undefined> {
    const info = this.#repo.info(id);
    return info ? { id: info.id, bytes: info.bytes } : undefined;
  }

  async exportLayer(id: string): Promise<NodeJS.ReadableStream> {
    const attrs = this.#attrs();
    try {
      const stream: Readable = await this.#repo.export(id, attrs);
      stream.once('close', () => attrs?.close());
      return stream;
    } catch (err) {
      attrs?.close();
      throw err;
    }
  }

  async importLayer(id: string, tar: NodeJS.ReadableStream): Promise<LayerInfo> {
    const attrs = this.#attrs();
    try {
      const info = await importLayer(this.#repo, attrs, id, tar, { maxBytes: this.#maxLayerBytes, maxEntries: 5_000_000 });
      return { id: info.id, bytes: info.bytes };
    } finally {
      attrs?.close();
    }
  }

  /** Where `mount` shows a sandbox's files when the stack is not empty or paths are stable. */
  viewOf(id: string): WorkspaceMount {
    assertSandboxId(id);
    const dir = this.#dir(id);
    const shown = this.method === 'overlay' && this.#options.stablePaths ? join(dir, 'merged') : join(dir, 'rw');
    return { workspace: join(shown, 'workspace'), home: join(shown, 'home'), outputs: join(shown, 'outputs'), uploads: join(dir, 'uploads') };
  }

  /**
   * A snapshot of the writable layer taken in place (running overlay, or the copy method). While
   * the sandbox is frozen, the changed files are read into the new layer's journal (one file,
   * written sequentially), which is synced after the thaw; the layer's directory is unpacked from
   * it in the background (layer-journal.ts). Changes too big for a journal, or with sparse files
   * (a journal would write their holes out), are copied into a staging directory instead.
   */
  async #snapshotInPlace(id: string, record: LayeredRecord, live: Live, quiesce: (<T>(work: () => Promise<T>) => Promise<T>) | undefined): Promise<CheckpointResult> {
    const rw = viewPaths(this.#dir(id)).rw;
    // Helper process and the previous layer's lookup exist before the sandbox is frozen.
    const attrs = this.#attrs();
    const previousLayer = this.#previousLayer(live);
    let staging: string | undefined;
    let draft: JournalDraft | undefined;
    try {
      const work = async (): Promise<UpperChanges> => {
        const changes = await diffUpper(rw, live.manifest, { attrs, maxBytes: this.#maxLayerBytes, previousLayer });
        if (changes.entries.length === 0) return changes;
        if (!changes.sparse && changes.addedBytes <= JOURNAL_MAX_BYTES) {
          draft = await this.#repo.writeJournal(changes.entries);
        } else {
          staging = this.#repo.stagingDir();
          await buildLayer(changes, staging, { attrs, move: false });
        }
        return changes;
      };
      const changes = live.mounted && quiesce ? await quiesce(work) : await work();
      const base = live.manifest ? live.stack : this.method === 'copy' ? [] : record.layers;
      let layers = base;
      if (draft) layers = onTop(base, (await this.#repo.commitJournal(draft, changes.addedBytes, changes.marks)).id);
      else if (staging) layers = onTop(base, (await this.#repo.commit(staging, attrs, changes.marks)).id);
      live.manifest = changes.manifest;
      live.stack = layers;
      if (this.method === 'copy') {
        record.layers = layers;
        this.#write(record);
      }
      return { snapshot: { layers: [...layers] }, addedBytes: changes.addedBytes };
    } catch (err) {
      if (staging) await rm(staging, { recursive: true, force: true });
      await draft?.abort();
      throw err;
    } finally {
      previousLayer?.close();
      attrs?.close();
    }
  }

  /**
   * The layer the last running snapshot made: on top of the stack whenever that snapshot took
   * anything racy (see upper-snapshot.ts), which is when it is looked at. Close it after use.
   */
  #previousLayer(live: Live): (LayerLookup & { close(): void }) | undefined {
    const top = live.manifest ? live.stack.at(-1) : undefined;
    return top ? this.#repo.lookup(top) : undefined;
  }

  /**
   * A stopped overlay sandbox: its writable layer is journaled, as a running snapshot is, and the
   * record names the new layer; then the writable directory, renamed aside, becomes the layer's
   * directory in the background (nothing copied), a fresh one taking its place. Changes a journal
   * does not take are renamed into a layer and committed at once.
   */
  async #checkpointStopped(id: string, record: LayeredRecord): Promise<CheckpointResult> {
    const rw = viewPaths(this.#dir(id)).rw;
    if (readdirSync(rw).length === 0) return { snapshot: { layers: [...record.layers] }, addedBytes: 0 };
    const attrs = this.#attrs();
    let handOver: (dir: string | undefined) => void = () => {};
    const source = new Promise<string | undefined>((resolve) => (handOver = resolve));
    try {
      const changes = await diffUpper(rw, undefined, { attrs, maxBytes: this.#maxLayerBytes });
      if (changes.sparse || changes.addedBytes > JOURNAL_MAX_BYTES) return await this.#renameIntoLayer(rw, record, attrs);
      const info = await this.#repo.commitJournal(await this.#repo.writeJournal(changes.entries), changes.addedBytes, changes.marks, source);
      // Named first: until the rename below, the same files are also in the writable layer on
      // top of it, which shows the same tree.
      record.layers = onTop(record.layers, info.id);
      this.#write(record);
      const staging = this.#repo.stagingPath();
      await rename(rw, staging);
      createDirectory(rw, 0o700, this.#owner(record));
      handOver(staging);
      return { snapshot: { layers: [...record.layers] }, addedBytes: info.bytes };
    } finally {
      // (Without a directory, the layer is unpacked from its journal.)
      handOver(undefined);
      attrs?.close();
    }
  }

  /** The writable layer renamed into a layer and committed (hashed and synced) before returning. */
  async #renameIntoLayer(rw: string, record: LayeredRecord, attrs: OverlayAttrs | undefined): Promise<CheckpointResult> {
    const staging = this.#repo.stagingPath();
    await rename(rw, staging);
    createDirectory(rw, 0o700, this.#owner(record));
    try {
      const info = await this.#repo.commit(staging, attrs, undefined, undefined, true);
      record.layers = onTop(record.layers, info.id);
      this.#write(record);
      return { snapshot: { layers: [...record.layers] }, addedBytes: info.bytes };
    } catch (err) {
      // Nothing may be lost: the files go back, owned by the sandbox again.
      await rm(rw, { recursive: true, force: true });
      if (this.#uids !== 'self') {
        const entries = await walkLayer(staging);
        await chown(staging, record.uid, record.gid);
        await forEachLimit(entries, 64, async (walked) => {
          if (walked.source) await chown(walked.source, record.uid, record.gid).catch(() => {});
        });
      }
      await rename(staging, rw);
      throw err;
    }
  }

  /** Moves what changed since the last running snapshot into a layer; the stack grows by it. */
  async #fold(id: string, live: Live): Promise<void> {
    const record = await this.#ensure(id, []);
    const rw = viewPaths(this.#dir(id)).rw;
    const attrs = this.#attrs();
    const staging = this.#repo.stagingDir();
    const previousLayer = this.#previousLayer(live);
    try {
      let snap;
      try {
        snap = await snapshotUpper(rw, staging, live.manifest, { attrs, move: true, maxBytes: this.#maxLayerBytes, previousLayer });
      } catch (err) {
        if (!(err instanceof SandboxError && err.code === 'too_large')) throw err;
        // Too big to be a layer: the writable layer stays as it is, on the stack it was mounted
        // on (still true of it), and the next checkpoint says why it cannot be taken.
        await rm(staging, { recursive: true, force: true });
        live.manifest = undefined;
        live.stack = record.layers;
        return;
      }
      const layers = snap.changed ? onTop(live.stack, (await this.#repo.commit(staging, attrs, snap.marks)).id) : live.stack;
      if (!snap.changed) await rm(staging, { recursive: true, force: true });
      await this.#replaceWritable(rw, await this.#freshWritable(id, record, layers));
      record.layers = layers;
      this.#write(record);
      live.manifest = undefined;
      live.stack = [];
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      throw err;
    } finally {
      previousLayer?.close();
      attrs?.close();
    }
  }

  /** Replaces a stack deeper than the limit by one layer holding its merged files. */
  async #squash(id: string, record: LayeredRecord): Promise<void> {
    await this.#repo.ready(record.layers);
    const staging = this.#repo.stagingDir();
    const attrs = this.#attrs();
    try {
      await materialize(this.#repo, attrs, record.layers, staging, 'link');
      const info = await this.#repo.commit(staging, attrs);
      record.layers = [info.id];
      this.#write(record);
    } finally {
      attrs?.close();
    }
    if (record.layers.length > MAX_LOWER_LAYERS) throw new Error(`sandbox ${id}: squash failed`);
  }

  /** A new writable directory for `layers`: empty for an overlay, the files themselves for copies. */
  async #freshWritable(id: string, record: LayeredRecord, layers: readonly string[]): Promise<string> {
    const fresh = join(this.#dir(id), `rw.new-${randomBytes(6).toString('hex')}`);
    await mkdir(fresh, { mode: 0o700 });
    try {
      if (this.method === 'copy') {
        await this.#repo.ready(layers);
        const attrs = this.#attrs();
        try {
          await materialize(this.#repo, attrs, layers, fresh, 'copy', this.#owner(record));
        } finally {
          attrs?.close();
        }
      }
      chmodSync(fresh, 0o700);
      if (this.#owner(record)) await chown(fresh, record.uid, record.gid);
      return fresh;
    } catch (err) {
      await rm(fresh, { recursive: true, force: true });
      throw err;
    }
  }

  /** Puts `fresh` in place of the writable directory; the old one is deleted. */
  async #replaceWritable(rw: string, fresh: string): Promise<void> {
    const old = `${rw}.old-${randomBytes(6).toString('hex')}`;
    await rename(rw, old).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await rename(fresh, rw);
    await rm(old, { recursive: true, force: true });
  }

  /** The copy method's manifest after materializing: the next checkpoint stores only changes. */
  async #rememberCopy(rw: string, live: Live, layers: string[]): Promise<void> {
    const staging = this.#repo.stagingDir();
    try {
      // Only the manifest is wanted: a walk without building anything would do, but the snapshot
      // function is the one place that defines what a manifest holds.
      const snap = await snapshotUpper(rw, staging, { entries: new Map(), takenAtNs: 0n }, { attrs: undefined, move: false, maxBytes: this.#maxLayerBytes }).catch(() => undefined);
      live.manifest = snap?.manifest;
      live.stack = snap ? layers : [];
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** The record, creating the storage (with `layers`) on first use. */
  async #ensure(id: string, layers: string[]): Promise<LayeredRecord> {
    const dir = this.#dir(id);
    mkdirSync(dir, { recursive: true, mode: 0o711 });
    let record = this.#read(id);
    if (!record) {
      const uid = this.#uids === 'self' ? (process.getuid?.() ?? 0) : claimUid(this.#claims(), this.#uids, id);
      const gid = this.#uids === 'self' ? (process.getgid?.() ?? 0) : uid;
      const fresh: LayeredRecord = { version: 2, id, uid, gid, layout: this.method, createdAt: new Date().toISOString(), layers };
      const rw = viewPaths(dir).rw;
      if (!existsSync(rw)) {
        const built = await this.#freshWritable(id, fresh, layers);
        await rename(built, rw).catch(async () => rm(built, { recursive: true, force: true }));
      }
      try {
        writeLayeredRecord(this.#recordPath(id), fresh, 'wx');
        record = fresh;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (this.#uids !== 'self') releaseUid(this.#claims(), uid, id);
        record = this.#read(id);
        if (!record) throw new SandboxError('unavailable', `the record of sandbox ${id} is being written`, true);
      }
      if (this.method === 'copy' && layers.length > 0) await this.#rememberCopy(rw, this.#liveOf(id), layers);
    }
    createDirectory(viewPaths(dir).rw, 0o700, this.#owner(record));
    createDirectory(join(dir, 'uploads'), 0o750, this.#uids === 'self' ? undefined : { uid: 0, gid: record.gid });
    return record;
  }

  /** Makes a top directory (workspace, home, outputs) exist, owned by the sandbox; refuses a wrong one. */
  async #ensureTopDir(id: string, path: string, record: LayeredRecord): Promise<void> {
    try {
      const st = lstatSync(path);
      if (st.isDirectory() && st.uid === record.uid) return;
      throw new SandboxError('unavailable', `refusing to start sandbox ${id}: ${path} is not a directory owned by uid ${record.uid}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    await mkdir(path, { mode: 0o755 });
    if (this.#owner(record)) await chown(path, record.uid, record.gid);
  }

  #checkOwned(id: string, path: string, uid: number): void {
    const st = lstatSync(path);
    if (!st.isDirectory() || st.uid !== uid) throw new SandboxError('unavailable', `refusing to start sandbox ${id}: ${path} is not a directory owned by uid ${uid}`);
  }

  #owner(record: LayeredRecord): { uid: number; gid: number } | undefined {
    return this.#uids === 'self' ? undefined : { uid: record.uid, gid: record.gid };
  }

  #attrs(): OverlayAttrs | undefined {
    if (this.method !== 'overlay') return undefined;
    return this.#helpers.take();
  }

  #liveOf(id: string): Live {
    let live = this.#live.get(id);
    if (!live) {
      live = { mounted: undefined, idmapped: false, manifest: undefined, stack: [], browsing: undefined };
      this.#live.set(id, live);
    }
    return live;
  }

  #read(id: string): LayeredRecord | undefined {
    return readLayeredRecord(this.#recordPath(id), id, this.method);
  }

  #write(record: LayeredRecord): void {
    writeLayeredRecord(this.#recordPath(record.id), record);
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

  /** Runs `work` after every earlier call for the same sandbox has finished. */
  async #locked<T>(id: string, work: () => Promise<T>): Promise<T> {
    const before = this.#locks.get(id) ?? Promise.resolve();
    const run = before.then(work, work);
    const tail = run.catch(() => {});
    this.#locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.#locks.get(id) === tail) this.#locks.delete(id);
    }
  }
}

/** The record as the `WorkspaceStore` port describes it. */
function publicRecord(record: LayeredRecord): WorkspaceRecord {
  return { ...record, layers: [...record.layers] };
}

/** Creates the root's directories; with a uid range, checks sandbox uids can reach it. */
function prepareRoot(root: string, uids: UidRange | 'self'): void {
  if (/[,:\\]/.test(root)) throw new Error(`sandbox storage ${root}: overlay options cannot name a path with ",", ":" or "\\"`);
  if (uids !== 'self') assertUidRange(uids);
  mkdirSync(join(root, 'workspaces'), { recursive: true });
  if (uids === 'self') return;
  chmodSync(root, 0o711);
  chmodSync(join(root, 'workspaces'), 0o711);
  for (let dir = dirname(root); ; dir = dirname(dir)) {
    if ((lstatSync(dir).mode & 0o001) === 0) {
      throw new Error(`sandbox storage ${root} is not reachable by sandbox uids: ${dir} lacks execute permission for others (chmod o+x ${dir}, or choose another data directory)`);
    }
    if (dir === dirname(dir)) break;
  }
}

/** The uid owning every layer file: claimed once from the range (never a sandbox's), then kept. */
function layerOwner(root: string, range: UidRange): { uid: number; gid: number } {
  const path = join(root, 'layers.json');
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as { uid: number; gid: number };
    if (Number.isInteger(owner.uid) && Number.isInteger(owner.gid)) return owner;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const uid = claimUid(join(root, 'uids'), range, '.layers');
  const owner = { uid, gid: uid };
  try {
    writeFileSync(path, `${JSON.stringify(owner)}\n`, { flag: 'wx', mode: 0o600 });
    return owner;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    releaseUid(join(root, 'uids'), uid, '.layers');
    return JSON.parse(readFileSync(path, 'utf8')) as { uid: number; gid: number };
  }
}
