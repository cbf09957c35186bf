/**
 * Sessions' workspaces that follow their session from worker to worker through the object store.
 * See docs/decisions/2026-11-23-object-storage.md; in short:
 *
 * - a worker that takes a session's lease claims the session's recorded stack with its lease
 *   token (`leaseStarted`), and before the session's files are first used makes this machine's
 *   copy equal to the recorded stack (`open`: nothing to do when it already is, else the missing
 *   layers are fetched and the files restored);
 * - every checkpoint's layers are uploaded (and claimed) before the checkpoint is recorded;
 * - when the lease ends (`leaseEnding`) the stopped sandbox's files are frozen into layers,
 *   uploaded, and recorded as the session's stack under the lease's token: a worker that lost
 *   the lease cannot overwrite what the new holder claimed;
 * - forks and restores only record a stack (any process may do it; the next worker's `open`
 *   makes the files).
 */
import { randomBytes } from 'node:crypto';
import { LonghandError } from '@longhand/protocol';
import type { Lease, Store } from '@longhand/store';
import type { FrozenWorkspace } from '../branching/checkpoints.js';
import type { Hands } from '../hands/hands.js';
import { DirObjectStore } from '../objects/dir/dir-object-store.js';
import type { ObjectStore } from '../objects/object-store.js';
import { LayerCatalog } from './layer-catalog.js';
import { collectLayerObjects, type LayerGcResult } from './layer-gc.js';
import { LayerShipping } from './layer-shipping.js';
import { RecordedStacks, StackFencedError, type RecordedStack } from './recorded-stacks.js';
import { SyncMarkers } from './sync-markers.js';

export interface RoamingOptions {
  store: Store;
  objects: ObjectStore;
  hands: () => Hands | undefined;
  /** Where this machine keeps its sync markers (in its private data directory). */
  markersDir: string;
  /** How long a lease this process takes for a fork, a restore or a checkpoint lasts (the scheduler's lease time). */
  leaseMs: number;
  /** Objects nobody claimed for this long and nothing names are deleted by `collect` (default 1 hour). */
  graceMs?: number;
  log: (message: string) => void;
}

/** A session whose lease this process holds. */
interface Held {
  lease: Lease;
  workspaceId: string;
  recorded: RecordedStack | undefined;
  /** Its files were made equal to `recorded` on this machine during this lease, and may have changed since. */
  opened: boolean;
}

const DEFAULT_GRACE_MS = 60 * 60_000;

/** The roaming half of the hands: see the file comment. */
export class RoamingWorkspaces {
  readonly stacks: RecordedStacks;
  readonly catalog: LayerCatalog;
  readonly shipping: LayerShipping;
  private readonly markers: SyncMarkers;
  private readonly held = new Map<string, Held>();
  private readonly locks = new Map<string, Promise<unknown>>();
  /** The lease holder of forks, restores and checkpoints this process makes outside a turn. */
  private readonly holder = `branch_${process.pid}_${randomBytes(6).toString('hex')}`;
  readonly graceMs: number;

  constructor(private readonly options: RoamingOptions) {
    this.graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    this.stacks = new RecordedStacks(options.store);
    this.catalog = new LayerCatalog(options.store, this.graceMs);
    this.shipping = new LayerShipping(options.objects, () => options.hands()?.workspaces);
    this.markers = new SyncMarkers(options.markersDir);
  }

  /**
   * The scheduler took the session's lease: claim its recorded stack with the lease's token.
   * @throws StackFencedError when a newer lease has claimed it already
   */
  async leaseStarted(sessionId: string, lease: Lease): Promise<void> {
    const record = await this.options.store.sessions.get(sessionId);
    if (!record) return;
    // Without sandboxes nothing here writes files: the stack is read, not claimed.
    const recorded = this.options.hands()
      ? await this.stacks.claim(sessionId, record.workspaceId, lease.token)
      : await this.stacks.read(sessionId);
    this.held.set(sessionId, { lease, workspaceId: record.workspaceId, recorded, opened: false });
  }

  /** Before the session's sandbox starts here: this machine's files become the recorded stack. */
  async open(sessionId: string): Promise<void> {
    await this.locked(sessionId, async () => {
      const held = this.held.get(sessionId);
      if (!held) throw new Error(`session ${sessionId} is not leased by this process, so its files cannot be used here`);
      if (held.opened) return;
      await this.syncLocal(sessionId, held.recorded);
      await this.markers.write(sessionId, { state: 'open', layers: held.recorded?.layers ?? null });
      held.opened = true;
    });
  }

  /** Before the session's files are browsed here: brings this machine's copy up to the recorded stack. */
  async prepareBrowse(sessionId: string): Promise<void> {
    await this.locked(sessionId, async () => {
      if (this.held.has(sessionId)) return;
      const recorded = await this.stacks.read(sessionId);
      if (!recorded?.layers) return;
      await this.syncLocal(sessionId, recorded);
      await this.markers.write(sessionId, { state: 'clean', layers: recorded.layers });
    });
  }

  /**
   * The lease ends (turn over, handed back, or lost): the sandbox stops, and when its files were
   * used they are frozen, uploaded and recorded under the lease's token.
   */
  async leaseEnding(sessionId: string, lease: Lease): Promise<void> {
    const hands = this.options.hands();
    const held = this.held.get(sessionId);
    this.held.delete(sessionId);
    if (!hands) return;
    await hands.manager.close(sessionId);
    if (!held?.opened) return;
    await this.locked(sessionId, async () => {
      try {
        const { snapshot } = await hands.checkpoint(sessionId);
        await this.ship(snapshot.layers);
        const stack: RecordedStack = { layers: snapshot.layers, placed: await hands.filesPlaced(sessionId) };
        if (await this.stacks.write(sessionId, held.workspaceId, lease.token, stack)) await this.markers.write(sessionId, { state: 'clean', layers: snapshot.layers });
        else this.options.log(`fenced out: session ${sessionId} lease token ${lease.token} of ${lease.holder} is no longer current; its workspace stack was not recorded`);
      } catch (error) {
        this.options.log(`session ${sessionId}: its files could not be saved to the object store (the next worker starts from the last saved stack): ${(error as Error).message}`);
      }
    });
  }

  /**
   * The session's files frozen for a checkpoint, their layers uploaded and claimed. Under this
   * process's lease with the files in use here, a real checkpoint; otherwise the recorded stack
   * (nothing else can have changed the files), read under a short lease of its own so that no
   * worker runs the session meanwhile.
   * @throws LonghandError `session_busy` when another process runs the session
   */
  async freeze(sessionId: string): Promise<FrozenWorkspace> {
    const held = this.held.get(sessionId);
    const hands = this.options.hands();
    if (held?.opened && hands) {
      return this.locked(sessionId, async () => {
        const frozen = await hands.checkpoint(sessionId);
        await this.ship(frozen.snapshot.layers);
        // The stack is recorded at every checkpoint too (the one at the end of each turn above
        // all): a worker that dies after a turn, before it releases the lease, loses nothing of it.
        const stack: RecordedStack = { layers: frozen.snapshot.layers, placed: await hands.filesPlaced(sessionId) };
        if (!(await this.stacks.write(sessionId, held.workspaceId, held.lease.token, stack))) {
          throw new StackFencedError(sessionId, held.lease.token);
        }
        held.recorded = stack;
        return frozen;
      });
    }
    const layers = held ? (held.recorded?.layers ?? []) : await this.underOwnLease(sessionId, async () => (await this.stacks.read(sessionId))?.layers ?? []);
    await this.ship(layers);
    return { snapshot: { layers: [...layers] }, addedBytes: 0 };
  }

  /** A fork's files: its first recorded stack is the checkpoint's layers. */
  async fork(layers: string[], parentId: string | undefined, childId: string, workspaceId: string): Promise<void> {
    await this.ship(layers);
    const parent = parentId ? await this.stacks.read(parentId) : undefined;
    await this.stacks.create(childId, workspaceId, { layers: [...layers], placed: parent?.placed ?? false });
  }

  /**
   * A restore: the session's recorded stack becomes `layers`, under a short lease of this
   * process's own; the next worker to open the session makes the files.
   * @throws LonghandError `session_busy` when another process holds the session
   */
  async restore(sessionId: string, layers: string[]): Promise<void> {
    await this.ship(layers);
    await this.underOwnLease(sessionId, async (lease, workspaceId) => {
      const before = await this.stacks.read(sessionId);
      if (!(await this.stacks.write(sessionId, workspaceId, lease.token, { layers: [...layers], placed: before?.placed ?? false }))) {
        throw new LonghandError('session_busy', `session ${sessionId} was taken by a worker during the restore; try again`);
      }
    });
  }

  /** Uploads (where needed) and claims layers that are about to be recorded. */
  async ship(layers: readonly string[]): Promise<void> {
    await this.catalog.claim(layers, this.shipping);
  }

  /** Bytes of file data of the given layers together, from the catalog. */
  async layerBytes(layers: readonly string[]): Promise<number> {
    let total = 0;
    for (const layer of layers) total += (await this.catalog.bytes(layer)) ?? (await this.options.hands()?.workspaces.layerInfo(layer))?.bytes ?? 0;
    return total;
  }

  /** A layer's canonical tar, from this machine or the object store (session export). */
  exportLayer(layer: string): Promise<NodeJS.ReadableStream> {
    return this.shipping.exportLayer(layer);
  }

  /** Forgets a deleted session's stack and this machine's marker. */
  async forget(sessionId: string): Promise<void> {
    await this.stacks.delete(sessionId);
    await this.markers.delete(sessionId);
  }

  /** Deletes layer objects nothing names and nobody claimed for the grace period. */
  async collect(referenced: () => Promise<ReadonlySet<string>>): Promise<LayerGcResult> {
    // A directory store also has temporary files of writers that died to sweep.
    if (this.options.objects instanceof DirObjectStore) await this.options.objects.sweep();
    return collectLayerObjects(this.options.store, this.options.objects, async () => new Set([...(await referenced()), ...(await this.stacks.referencedLayers())]), this.graceMs);
  }

  /** Makes this machine's files of the session equal to `recorded` (fast when they already are). */
  private async syncLocal(sessionId: string, recorded: RecordedStack | undefined): Promise<void> {
    const hands = this.options.hands();
    if (!hands) return;
    if (recorded?.layers) {
      const marker = await this.markers.read(sessionId);
      const current = await hands.workspaces.layersOf(sessionId);
      const clean = marker?.state === 'clean' && same(marker.layers, recorded.layers) && same(current, recorded.layers);
      if (!clean) {
        await this.shipping.fetchMissing(recorded.layers);
        await hands.restore(sessionId, recorded.layers);
      }
    }
    if (recorded?.placed) await hands.markFilesPlaced(sessionId);
  }

  /** Runs `work` while this process holds the session's lease under its own holder id. */
  private async underOwnLease<T>(sessionId: string, work: (lease: Lease, workspaceId: string) => Promise<T>): Promise<T> {
    const record = await this.options.store.sessions.get(sessionId);
    if (!record) throw new LonghandError('not_found', `session not found: ${sessionId}`);
    // A worker that has just finished a turn still holds the lease while it saves the files
    // (usually well under a second); one that died holds it until it runs out. Wait that long.
    const deadline = Date.now() + this.options.leaseMs + 1000;
    let lease = await this.options.store.sessions.acquireLease(sessionId, this.holder, this.options.leaseMs);
    while (!lease && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      lease = await this.options.store.sessions.acquireLease(sessionId, this.holder, this.options.leaseMs);
    }
    if (!lease) throw new LonghandError('session_busy', `session ${sessionId} is running on a worker; try again when it is idle`);
    try {
      return await work(lease, record.workspaceId);
    } finally {
      await this.options.store.sessions.releaseLease(lease, { handoff: true }).catch(() => 0);
    }
  }

  /** Runs `work` after every earlier call for the same session in this process has finished. */
  private async locked<T>(sessionId: string, work: () => Promise<T>): Promise<T> {
    const before = this.locks.get(sessionId) ?? Promise.resolve();
    const run = before.then(work, work);
    const tail = run.catch(() => undefined);
    this.locks.set(sessionId, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(sessionId) === tail) this.locks.delete(sessionId);
    }
  }
}

function same(a: readonly string[] | null | undefined, b: readonly string[]): boolean {
  return !!a && a.length === b.length && a.every((layer, i) => layer === b[i]);
}
