import type { Readable } from 'node:stream';
import type { SnapshotStore } from '@longhand/sandbox';
import type { ObjectStore } from '../objects/object-store.js';
import type { LayerSource } from './layer-catalog.js';

/** Where layers live in the object store. */
export const LAYER_PREFIX = 'layers/';
/**
 * Layers are stored as their canonical tar, byte for byte what `exportLayer` writes: the
 * object's SHA-256 is the layer's id. Not compressed: gzip -1 shrinks source trees 4 times but
 * runs at about 27 MB/s on incompressible files (build outputs, archives, images), ten times
 * slower than the upload itself (measurements in docs/decisions/2026-11-23-object-storage.md).
 */
const SUFFIX = '.tar';
const KEY = /^layers\/([0-9a-f]{64})\.tar$/;
const ID = /^sha256:([0-9a-f]{64})$/;
/** Layers fetched at once when a session needs several. */
const PARALLEL_FETCHES = 4;

/** The object key of a layer. @throws Error for a string that is not a layer id */
export function layerKey(layer: string): string {
  const match = ID.exec(layer);
  if (!match) throw new Error(`${JSON.stringify(layer)} is not a layer id`);
  return `${LAYER_PREFIX}${match[1]}${SUFFIX}`;
}

/** The layer id an object key holds, or undefined for a key that holds no layer. */
export function layerOfKey(key: string): string | undefined {
  const match = KEY.exec(key);
  return match ? `sha256:${match[1]}` : undefined;
}

/**
 * Moves layers between this machine's workspace storage and the object store: uploads a layer
 * stored here, fetches the layers a session stands on that are not, and reads a layer from
 * wherever it is. A fetched layer goes through `importLayer`, which checks every entry and that
 * the content hashes to the layer's id: a damaged or hostile object is refused and nothing of it
 * is kept.
 */
export class LayerShipping implements LayerSource {
  private readonly fetching = new Map<string, Promise<void>>();

  constructor(
    private readonly objects: ObjectStore,
    private readonly snapshots: () => SnapshotStore | undefined,
  ) {}

  /** Uploads a layer stored here; its bytes of file data, or undefined when it is not stored here. */
  async upload(layer: string): Promise<number | undefined> {
    const snapshots = this.snapshots();
    const info = await snapshots?.layerInfo(layer);
    if (!snapshots || !info) return undefined;
    const tar = (await snapshots.exportLayer(layer)) as Readable;
    await this.objects.put(layerKey(layer), tar);
    return info.bytes;
  }

  async stored(layer: string): Promise<number | undefined> {
    return (await this.objects.head(layerKey(layer)))?.size;
  }

  /** Fetches every layer of `layers` that is not stored here (each once, however many ask). */
  async fetchMissing(layers: readonly string[]): Promise<void> {
    const snapshots = this.snapshots();
    if (!snapshots) throw new Error('this process has no workspace storage to fetch layers into');
    const missing: string[] = [];
    for (const layer of new Set(layers)) if (!(await snapshots.layerInfo(layer))) missing.push(layer);
    let next = 0;
    const lanes = Array.from({ length: Math.min(PARALLEL_FETCHES, missing.length) }, async () => {
      while (next < missing.length) await this.fetchOnce(snapshots, missing[next++]!);
    });
    await Promise.all(lanes);
  }

  /** A layer's canonical tar: from this machine when it is stored here, else from the object store. */
  async exportLayer(layer: string): Promise<NodeJS.ReadableStream> {
    const snapshots = this.snapshots();
    if (snapshots && (await snapshots.layerInfo(layer))) return snapshots.exportLayer(layer);
    return this.download(layer);
  }

  private fetchOnce(snapshots: SnapshotStore, layer: string): Promise<void> {
    let pending = this.fetching.get(layer);
    if (!pending) {
      pending = (async () => {
        try {
          await snapshots.importLayer(layer, await this.download(layer));
        } catch (error) {
          throw new Error(`layer ${layer} could not be fetched from the object store (${this.objects.description}): ${(error as Error).message}`, { cause: error });
        }
      })().finally(() => this.fetching.delete(layer));
      this.fetching.set(layer, pending);
    }
    return pending;
  }

  private async download(layer: string): Promise<Readable> {
    const body = await this.objects.get(layerKey(layer));
    if (!body) throw new Error(`layer ${layer} is not in the object store`);
    return body;
  }
}
