import type { Store } from '@longhand/store';
import type { ObjectStore } from '../objects/object-store.js';
import { entry, LAYER_OBJECT, STALE_MARK_MS, type CatalogEntry } from './layer-catalog.js';
import { layerKey, layerOfKey, LAYER_PREFIX } from './layer-shipping.js';

export interface LayerGcResult {
  /** Objects deleted. */
  removed: number;
  /** Objects kept although nothing names them: claimed, or written, less than a grace period ago. */
  young: number;
}

/**
 * Deletes layer objects that no checkpoint and no recorded stack names and that nobody claimed
 * (or wrote) for `graceMs`. The references are read first; a layer is then marked `deleting` in
 * the catalog by a compare-and-set on its claim time before its object goes, so a process that
 * claimed it meanwhile keeps it, and one that comes after the mark waits and uploads it again.
 * Objects without a catalog row (an upload whose row was never written) are marked by creating
 * the row, which fails if a writer created it first.
 *
 * Safe as long as a writer records what it claimed within half the grace period, and the
 * machines' clocks agree to well within it (see the decision record).
 */
export async function collectLayerObjects(
  store: Store,
  objects: ObjectStore,
  referenced: () => Promise<ReadonlySet<string>>,
  graceMs: number,
  now: () => number = Date.now,
): Promise<LayerGcResult> {
  const keep = await referenced();
  const result: LayerGcResult = { removed: 0, young: 0 };
  const catalogued = new Set<string>();
  for (let after: string | undefined; ; ) {
    const rows = await store.documents.listKind<CatalogEntry>(LAYER_OBJECT, after, 500);
    for (const row of rows) {
      catalogued.add(row.id);
      if (keep.has(row.id)) continue;
      if (row.body.state === 'deleting') {
        // Left by a collector that died: the next pass may try again from an unclaimed row.
        if (now() - (row.body.since ?? 0) > STALE_MARK_MS) await store.documents.update<CatalogEntry>(LAYER_OBJECT, row.id, { body: { ...row.body, state: 'live' }, ord: 0 }, row.ord);
        continue;
      }
      if (row.ord > now() - graceMs) {
        result.young += 1;
        continue;
      }
      const marked = await store.documents.update<CatalogEntry>(LAYER_OBJECT, row.id, { body: { ...row.body, state: 'deleting', since: now() }, ord: -1 }, row.ord);
      if (!marked) continue;
      await objects.delete(layerKey(row.id));
      await store.documents.delete(LAYER_OBJECT, row.id);
      result.removed += 1;
    }
    if (rows.length < 500) break;
    after = rows[rows.length - 1]!.id;
  }
  for await (const object of objects.list(LAYER_PREFIX)) {
    const layer = layerOfKey(object.key);
    if (!layer || catalogued.has(layer) || keep.has(layer)) continue;
    if (object.lastModified > now() - graceMs) {
      result.young += 1;
      continue;
    }
    try {
      await store.documents.insert<CatalogEntry>(entry(layer, -1, { state: 'deleting', bytes: object.size, since: now() }));
    } catch {
      continue;
    }
    await objects.delete(object.key);
    await store.documents.delete(LAYER_OBJECT, layer);
    result.removed += 1;
  }
  return result;
}
