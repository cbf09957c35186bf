import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqlStore, type Store } from '@longhand/store';
import { SqliteDriver } from '@longhand/store/sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { DirObjectStore } from '../../src/objects/dir/dir-object-store.js';
import { LayerCatalog, LAYER_OBJECT, type CatalogEntry, type LayerSource } from '../../src/roaming/layer-catalog.js';
import { collectLayerObjects } from '../../src/roaming/layer-gc.js';
import { layerKey } from '../../src/roaming/layer-shipping.js';

const GRACE = 60_000;
const layer = (c: string) => `sha256:${c.repeat(64)}`;

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function rig() {
  const store: Store = new SqlStore(new SqliteDriver(':memory:'));
  await (store as SqlStore).migrate();
  const root = await mkdtemp(join(tmpdir(), 'longhand-gc-'));
  const objects = new DirObjectStore(root);
  cleanup.push(() => store.close(), () => rm(root, { recursive: true, force: true }));
  let clock = Date.now();
  const uploads: string[] = [];
  const local = new Set<string>();
  const source: LayerSource = {
    async upload(id) {
      if (!local.has(id)) return undefined;
      uploads.push(id);
      await objects.put(layerKey(id), Buffer.from(id));
      return 1000;
    },
    async stored(id) {
      return (await objects.head(layerKey(id)))?.size;
    },
  };
  const catalog = new LayerCatalog(store, GRACE, () => clock);
  return {
    store,
    objects,
    catalog,
    source,
    uploads,
    local,
    advance: (ms: number) => (clock += ms),
    now: () => clock,
    collect: (keep: string[]) => collectLayerObjects(store, objects, async () => new Set(keep), GRACE, () => clock),
    present: async (id: string) => (await objects.head(layerKey(id))) !== undefined,
  };
}

describe('layer objects', () => {
  it('are uploaded once when claimed, and a fresh claim is reused', async () => {
    const r = await rig();
    r.local.add(layer('a'));
    await r.catalog.claim([layer('a'), layer('a')], r.source);
    await r.catalog.claim([layer('a')], r.source);
    expect(r.uploads).toEqual([layer('a')]);
    expect(await r.catalog.bytes(layer('a'))).toBe(1000);
    expect(await r.present(layer('a'))).toBe(true);
  });

  it('are kept while a record names them or a claim is younger than the grace period, and deleted after', async () => {
    const r = await rig();
    for (const c of ['a', 'b']) r.local.add(layer(c));
    await r.catalog.claim([layer('a'), layer('b')], r.source);
    expect(await r.collect([layer('a')])).toEqual({ removed: 0, young: 1 });
    r.advance(GRACE + 1);
    expect(await r.collect([layer('a')])).toEqual({ removed: 1, young: 0 });
    expect(await r.present(layer('a'))).toBe(true);
    expect(await r.present(layer('b'))).toBe(false);
    expect(await r.store.documents.get(LAYER_OBJECT, layer('b'))).toBeUndefined();
  });

  it('are uploaded again by a claim that meets a deletion in progress, once it is over', async () => {
    const r = await rig();
    r.local.add(layer('c'));
    await r.catalog.claim([layer('c')], r.source);
    r.advance(GRACE + 1);
    // A collector has marked the row and is about to delete the object.
    const row = (await r.store.documents.get<CatalogEntry>(LAYER_OBJECT, layer('c')))!;
    expect(await r.store.documents.update<CatalogEntry>(LAYER_OBJECT, layer('c'), { body: { ...row.body, state: 'deleting', since: r.now() }, ord: -1 }, row.ord)).toBe(true);
    r.catalog.forgetClaims();
    const claiming = r.catalog.claim([layer('c')], r.source);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await r.objects.delete(layerKey(layer('c')));
    await r.store.documents.delete(LAYER_OBJECT, layer('c'));
    await claiming;
    expect(r.uploads).toEqual([layer('c'), layer('c')]);
    expect(await r.present(layer('c'))).toBe(true);
    expect((await r.store.documents.get<CatalogEntry>(LAYER_OBJECT, layer('c')))!.body.state).toBe('live');
  });

  it('lose a deletion to a claim that came first', async () => {
    const r = await rig();
    r.local.add(layer('d'));
    await r.catalog.claim([layer('d')], r.source);
    r.advance(GRACE + 1);
    // The collector read the references (none) before this claim, and its rows after it.
    r.catalog.forgetClaims();
    await r.catalog.claim([layer('d')], r.source);
    expect(await r.collect([])).toEqual({ removed: 0, young: 1 });
    expect(await r.present(layer('d'))).toBe(true);
  });

  it('that no row describes are deleted after the grace period, by their age', async () => {
    const r = await rig();
    await r.objects.put(layerKey(layer('e')), Buffer.from('orphan'));
    expect(await r.collect([])).toEqual({ removed: 0, young: 1 });
    r.advance(GRACE + 60_000);
    expect(await r.collect([layer('f')])).toEqual({ removed: 1, young: 0 });
    expect(await r.present(layer('e'))).toBe(false);
    expect(await r.store.documents.get(LAYER_OBJECT, layer('e'))).toBeUndefined();
  });

  it('must be here or in the store to be claimed', async () => {
    const r = await rig();
    await expect(r.catalog.claim([layer('9')], r.source)).rejects.toThrow(/neither on this machine nor in the object store/);
    await r.objects.put(layerKey(layer('9')), Buffer.from('stored by someone'));
    await r.catalog.claim([layer('9')], r.source);
    expect(r.uploads).toEqual([]);
  });
});
