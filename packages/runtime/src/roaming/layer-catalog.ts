import type { DocumentRow, Store } from '@longhand/store';

/** Document kind of the catalog: one row per layer in the object store (id = the layer id). */
export const LAYER_OBJECT = 'layer_object';
/** The workspace the catalog's rows belong to: layers are shared by every tenant's sessions. */
export const CATALOG_WORKSPACE = '_objects';

/**
 * A layer's row. `ord` is when a process last *claimed* the layer (epoch ms): promised to record,
 * within the grace period, a checkpoint or stack that names it. While `state` is `deleting`
 * (`ord` -1), garbage collection is deleting the object and nobody may claim the layer.
 */
export interface CatalogEntry {
  state: 'live' | 'deleting';
  /** Bytes of file data the layer holds (a checkpoint's `size_bytes` adds these up). */
  bytes: number;
  /** When the `deleting` mark was set (epoch ms). */
  since?: number;
}

/** What the catalog needs to put a layer's object in place before it claims it. */
export interface LayerSource {
  /** Uploads the layer's object from this machine's copy; its file bytes, or undefined when there is no copy here. */
  upload(layer: string): Promise<number | undefined>;
  /** Whether the layer's object is in the store now, and its size. */
  stored(layer: string): Promise<number | undefined>;
}

/** A `deleting` mark older than this was left by a collector that died; it is taken back. */
export const STALE_MARK_MS = 10 * 60_000;
const WAIT_MS = 200;
const ATTEMPTS = 600;

/**
 * Which layers are in the object store, how big they are, and who still means to use them: the
 * half of garbage collection that writers do. Before recording anything that names a layer (a
 * checkpoint, a session's stack), a process *claims* it: the row's time is set to now, or the
 * object is uploaded and the row created. The collector deletes only objects whose layer no
 * record names and nobody claimed for a whole grace period, and marks the row first, so a claim
 * and a deletion never both succeed. See docs/decisions/2026-11-23-object-storage.md.
 */
export class LayerCatalog {
  /** When this process last claimed each layer: a claim younger than half the grace period is reused. */
  private readonly claimed = new Map<string, number>();
  private readonly sizes = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly graceMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Makes every layer's object present and claimed. Layers with no row are uploaded from this
   * machine (or, with no copy here, must already be stored).
   * @throws Error when a layer is neither here nor in the store
   */
  async claim(layers: readonly string[], source: LayerSource): Promise<void> {
    for (const layer of new Set(layers)) {
      const last = this.claimed.get(layer);
      if (last !== undefined && this.now() - last < this.graceMs / 2) continue;
      await this.claimOne(layer, source);
      this.claimed.set(layer, this.now());
    }
  }

  /** Bytes of file data of a layer, as recorded when it was first stored; undefined when unknown. */
  async bytes(layer: string): Promise<number | undefined> {
    const known = this.sizes.get(layer);
    if (known !== undefined) return known;
    const row = await this.store.documents.get<CatalogEntry>(LAYER_OBJECT, layer);
    if (row) this.sizes.set(layer, row.body.bytes);
    return row?.body.bytes;
  }

  /** Forgets this process's claims (after a collector may have run with a short grace: tests). */
  forgetClaims(): void {
    this.claimed.clear();
  }

  private async claimOne(layer: string, source: LayerSource): Promise<void> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const row = await this.store.documents.get<CatalogEntry>(LAYER_OBJECT, layer);
      if (!row) {
        // No row: the object may be missing, or an orphan a collector is about to delete. Write
        // it (again) from here, then create the row; a collector that marks it first makes the
        // insert fail, and the next round waits for it and uploads once more.
        const bytes = (await source.upload(layer)) ?? (await source.stored(layer));
        if (bytes === undefined) throw new Error(`layer ${layer} is neither on this machine nor in the object store`);
        try {
          await this.store.documents.insert<CatalogEntry>(entry(layer, this.now(), { state: 'live', bytes }));
          this.sizes.set(layer, bytes);
          return;
        } catch {
          continue;
        }
      }
      if (row.body.state === 'deleting') {
        if (this.now() - (row.body.since ?? 0) > STALE_MARK_MS) {
          // A collector died while deleting: the object may be gone. Take the row back with no
          // claim on it (an old time), and upload in the next round if it is still to be had here.
          await this.store.documents.delete(LAYER_OBJECT, layer).catch(() => undefined);
          continue;
        }
        await new Promise((resolve) => setTimeout(resolve, WAIT_MS));
        continue;
      }
      if (await this.store.documents.update<CatalogEntry>(LAYER_OBJECT, layer, { body: row.body, ord: this.now() }, row.ord)) {
        this.sizes.set(layer, row.body.bytes);
        return;
      }
    }
    throw new Error(`layer ${layer}: the object store's catalog stayed busy`);
  }
}

/** A catalog row. */
export function entry(layer: string, ord: number, body: CatalogEntry): DocumentRow<CatalogEntry> {
  return { kind: LAYER_OBJECT, id: layer, workspaceId: CATALOG_WORKSPACE, parentId: null, ord, name: null, createdAt: new Date().toISOString(), archivedAt: null, body };
}
