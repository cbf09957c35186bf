/**
 * The immutable layers of one storage root:
 *
 * ```
 * <root>/layers/               0700, owned by the layer owner
 *   <hex>/                     a layer: the files it adds (workspace/, home/, outputs/ at its top),
 *                              whiteouts as character devices 0:0, opaque dirs by trusted xattr
 *   .staging-<random>/         a layer being built (never in a stack; removed on failure)
 * <root>/layer-info/<hex>.json 0600 { id, bytes, whiteouts?, opaque? }: written before the rename
 *                              that publishes the layer, so a published layer always has one
 * <root>/journal/             layers written ahead as their canonical tar (layer-journal.ts), not
 *                              yet unpacked into their directory ("journaled"); each is published
 *                              in the background, and everything that needs its directory waits
 * ```
 *
 * A layer's id is `sha256:<hex>` of its canonical tar (layer-tar.ts); its directory is only ever
 * created by renaming a complete, synced staging directory, and never changes afterwards. Files
 * in layers belong to one owner (the layer owner); a sandbox sees them as its own through an
 * idmapped mount, so a fork running as another uid can use them unchanged.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chownSync, existsSync, lchownSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { SandboxError } from '../../sandbox.js';
import type { LayerInfo } from '../snapshots.js';
import type { OverlayAttrs } from '../overlay/overlay-helper.js';
import { inBackground, timeSlicer } from './time-slice.js';
import { dataBytes, layerDigest, tarStream, walkLayer, type LayerMarks, type WalkedEntry } from './layer-walk.js';
import { LAYER_ID as ID, layerHex } from './layer-id.js';
import { LayerJournal, type JournalDraft, type JournalIndex } from './layer-journal.js';
import { extractLayer } from './layer-import.js';
import { layerDirLookup, type LayerLookup } from './upper-snapshot.js';
import { syncDirectory, syncFileSystem } from './sync.js';

/** Staging directories older than this were left by a process that died. */
const STALE_STAGING_MS = 60 * 60_000;

/** What the repository keeps beside each layer. */
export interface StoredLayerInfo extends LayerInfo {
  /** Whiteouts and opaque directories, when they are not stored as device nodes and xattrs. */
  marks?: LayerMarks;
}

/** Options of the repository. */
export interface LayerRepositoryOptions {
  root: string;
  /** Owner every layer file is given (`undefined`: leave owners alone, all files are ours). */
  owner: { uid: number; gid: number } | undefined;
  /** Whiteouts and opaque directories as the overlay stores them (root), or as lists beside. */
  native: boolean;
  /** Largest total length of file data a layer may hold (sparse files count in full). */
  maxBytes: number;
  /** An attribute helper for publishing journaled layers (closed after use), where `native`. */
  attrs?: () => OverlayAttrs | undefined;
}

/** A journaled layer of this process: where its entries are, and its publication under way. */
interface Journaled {
  /** Its facts (a layer-info file is written when it is published). */
  info: StoredLayerInfo | undefined;
  index: JournalIndex | undefined;
  /** A directory holding the layer's files already, to publish instead of unpacking the journal. */
  source: Promise<string | undefined> | undefined;
  publishing: Promise<void> | undefined;
}

/** The layers of one storage root. */
export class LayerRepository {
  readonly layersDir: string;
  readonly #infoDir: string;
  readonly #options: LayerRepositoryOptions;
  readonly #journal: LayerJournal;
  readonly #journaled = new Map<string, Journaled>();

  constructor(options: LayerRepositoryOptions) {
    this.#options = options;
    this.layersDir = join(options.root, 'layers');
    this.#infoDir = join(options.root, 'layer-info');
    this.#journal = new LayerJournal(join(options.root, 'journal'));
    mkdirSync(this.layersDir, { recursive: true, mode: 0o700 });
    mkdirSync(this.#infoDir, { recursive: true, mode: 0o700 });
    // Seen through an idmapped clone, a directory of an unmapped owner would be closed even to
    // root: the layers directory belongs to the layer owner like everything in it.
    if (options.owner) chownSync(this.layersDir, options.owner.uid, options.owner.gid);
  }

  /** Whether layers keep whiteouts as device nodes and opaque marks as xattrs. */
  get native(): boolean {
    return this.#options.native;
  }

  /** The layer's directory (whether or not it exists). */
  dir(id: string): string {
    return join(this.layersDir, layerHex(id));
  }

  /** Whether the layer is stored here (published, or journaled and about to be). */
  has(id: string): boolean {
    return this.published(id) || this.#journal.has(id);
  }

  /** Whether the layer's directory is in place (what a mount, a walk or a copy needs). */
  published(id: string): boolean {
    return existsSync(join(this.#infoDir, `${layerHex(id)}.json`)) && existsSync(this.dir(id));
  }

  /** The layer's facts, or undefined when it is not stored here. */
  info(id: string): StoredLayerInfo | undefined {
    try {
      if (!existsSync(this.dir(id))) {
        if (!this.#journal.has(id)) return undefined;
        // A journal a process left, until it is published: its tar's length bounds its data's.
        return this.#journaled.get(id)?.info ?? { id, bytes: this.#journal.tarBytes(id)! };
      }
      return JSON.parse(readFileSync(join(this.#infoDir, `${layerHex(id)}.json`), 'utf8')) as StoredLayerInfo;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** @throws SandboxError `not_found` naming the first layer of `ids` not stored here */
  requireAll(ids: readonly string[]): void {
    for (const id of ids) if (!this.has(id)) throw new SandboxError('not_found', `layer ${id} is not stored here`);
  }

  /** A new, empty staging directory inside the layers directory (same file system: renames work). */
  stagingDir(): string {
    const dir = this.stagingPath();
    mkdirSync(dir, { mode: 0o700 });
    return dir;
  }

  /** A new staging path, not yet created (for a directory renamed there). */
  stagingPath(): string {
    return join(this.layersDir, `.staging-${randomBytes(8).toString('hex')}`);
  }

  /** Walks a layer (or staging) directory with the marks this repository uses. */
  walk(dir: string, attrs: OverlayAttrs | undefined, marks?: LayerMarks): Promise<WalkedEntry[]> {
    return walkLayer(dir, this.#options.native ? { attrs } : { marks });
  }

  /** Largest total length of file data a layer may hold. */
  get maxBytes(): number {
    return this.#options.maxBytes;
  }

  /**
   * Publishes a staging directory as a layer: gives every file to the layer owner, computes the
   * id, syncs the data, writes the facts and renames it into place. When the same layer exists
   * already, the staging copy is dropped. With `expected`, a different id fails the commit.
   * @param keepOnFailure leave the staging directory where it is when the commit fails (the
   *   caller puts the files back); otherwise it is deleted
   * @throws SandboxError `invalid_archive` when `expected` does not match (nothing is kept)
   */
  async commit(staging: string, attrs: OverlayAttrs | undefined, marks?: LayerMarks, expected?: string, keepOnFailure = false): Promise<StoredLayerInfo> {
    try {
      const entries = await this.walk(staging, attrs, marks);
      // Before anything reads the data: hashing a `truncate -s 1T` file would take hours.
      const bytes = dataBytes(entries);
      if (bytes > this.#options.maxBytes) {
        throw new SandboxError('too_large', `the layer would hold ${bytes} bytes of file data (sparse files count in full), more than the ${this.#options.maxBytes} a layer may hold`);
      }
      const owner = this.#options.owner;
      if (owner) {
        const slice = timeSlicer();
        lchownSync(staging, owner.uid, owner.gid);
        for (const walked of entries) {
          await slice();
          if (walked.source) lchownSync(walked.source, owner.uid, owner.gid);
        }
      }
      // The hash reads the files while the sync writes them out: one waits on the CPU, the other
      // on the disk. (Syncing a layer that turns out to exist already costs little.)
      const [id] = await Promise.all([layerDigest(entries), syncFileSystem(staging)]);
      if (expected !== undefined && id !== expected) {
        throw new SandboxError('invalid_archive', `the layer's content has id ${id}, not the claimed ${expected}`);
      }
      const info: StoredLayerInfo = { id, bytes, ...(marks && !this.#options.native ? { marks } : {}) };
      const hex = layerHex(id);
      if (this.published(id)) {
        await rm(staging, { recursive: true, force: true });
        return this.info(id) ?? info;
      }
      const infoPath = join(this.#infoDir, `${hex}.json`);
      await writeFile(`${infoPath}.tmp`, `${JSON.stringify(info)}\n`, { mode: 0o600, flush: true });
      await rename(`${infoPath}.tmp`, infoPath);
      try {
        await rename(staging, join(this.layersDir, hex));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // Another writer published the same content first: theirs is identical.
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
        await rm(staging, { recursive: true, force: true });
      }
      await Promise.all([syncDirectory(this.layersDir), syncDirectory(this.#infoDir)]);
      return info;
    } catch (err) {
      if (!keepOnFailure) await rm(staging, { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * The layer's canonical tar.
   * @throws SandboxError `not_found`
   */
  async export(id: string, attrs: OverlayAttrs | undefined): Promise<Readable> {
    if (!this.published(id)) {
      // A journal is the layer's canonical tar already.
      const journal = await this.#journal.read(id);
      if (journal) return journal;
    }
    const info = this.info(id);
    if (!info) throw new SandboxError('not_found', `layer ${id} is not stored here`);
    return tarStream(await this.walk(this.dir(id), attrs, info.marks));
  }

  /**
   * Writes the canonical tar of a new layer's entries (sources read now: call it while they
   * cannot change); `commitJournal` makes it durable and a layer.
   */
  writeJournal(entries: readonly WalkedEntry[]): Promise<JournalDraft> {
    return this.#journal.write(entries);
  }

  /**
   * Makes a journal durable and its layer one of this repository's, to be published in the
   * background; the layer can be named in stacks, forked, exported and collected from now on.
   */
  async commitJournal(draft: JournalDraft, bytes: number, marks: LayerMarks | undefined, source?: Promise<string | undefined>): Promise<StoredLayerInfo> {
    const info: StoredLayerInfo = { id: draft.id, bytes, ...(marks && !this.#options.native ? { marks } : {}) };
    if (this.published(draft.id)) {
      await draft.abort();
      dropWhenGiven(source);
      return this.info(draft.id) ?? info;
    }
    await draft.finish();
    const known = this.#journaled.get(draft.id);
    if (known) {
      known.index ??= draft.index;
      known.info ??= info;
      dropWhenGiven(source);
    } else {
      this.#journaled.set(draft.id, { info, index: draft.index, source, publishing: undefined });
    }
    this.#publishSoon(draft.id);
    return info;
  }

  /**
   * Waits until every layer of `ids` has its directory, publishing journaled ones now if they
   * are not under way (left by a process that stopped, or whose publication failed before).
   * @throws SandboxError `unavailable` when a journal cannot be published
   */
  async ready(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      if (this.published(id) || !this.#journal.has(id)) continue;
      try {
        await this.#publish(id);
      } catch (err) {
        throw new SandboxError('unavailable', `layer ${id} could not be unpacked from its journal: ${(err as Error).message}`);
      }
    }
  }

  /** Waits for every publication under way (at shutdown, and before collecting). */
  async settle(): Promise<void> {
    await Promise.all([...this.#journaled.values()].map((journaled) => journaled.publishing?.catch(() => {})));
  }

  /**
   * Publishes, in the background, every journal a process left (at open); drops those of layers
   * published already. (Journals half-written were never acknowledged: they are spare files.)
   */
  recover(): void {
    for (const id of this.#journal.ids()) {
      if (this.published(id)) void this.#journal.remove(id).catch(() => {});
      else this.#publishSoon(id);
    }
  }

  /**
   * The layer as the racy rule of a snapshot compares with it: its journal while it is journaled
   * by this process, else its directory. Close it after use.
   */
  lookup(id: string): LayerLookup & { close(): void } {
    const index = this.published(id) ? undefined : this.#journaled.get(id)?.index;
    const journal = index ? this.#journal.lookup(id, index) : undefined;
    return journal ?? { ...layerDirLookup(this.dir(id)), close: () => {} };
  }

  /** Publishes in the background, once the caller (a checkpoint being acknowledged) has gone on. */
  #publishSoon(id: string): void {
    this.#publish(id, true).catch(() => {
      // Kept: the journal stays, and whoever needs the layer (`ready`) tries again and says why.
    });
  }

  /** Unpacks a journal into the layer's directory (once at a time), then drops the journal. */
  #publish(id: string, later = false): Promise<void> {
    let journaled = this.#journaled.get(id);
    if (!journaled) {
      journaled = { info: undefined, index: undefined, source: undefined, publishing: undefined };
      this.#journaled.set(id, journaled);
    }
    if (journaled.publishing) return journaled.publishing;
    const work = inBackground(async () => {
      // (Taking a helper may start a process: a few milliseconds the caller need not wait for.)
      if (later) await nextTurn();
      const source = await journaled.source;
      journaled.source = undefined;
      if (this.published(id)) {
        if (source) await rm(source, { recursive: true, force: true });
      } else {
        const attrs = this.#options.attrs?.();
        try {
          // The files themselves, when the caller has them in a directory (a stopped sandbox's
          // writable layer); the journal when that fails (the directory is then removed).
          if (source) await this.commit(source, attrs, journaled.info?.marks, id).catch(() => undefined);
          if (!this.published(id)) await this.#unpack(id, attrs);
        } finally {
          attrs?.close();
        }
      }
      this.#journaled.delete(id);
      await this.#journal.remove(id);
    });
    journaled.publishing = work;
    work.catch(() => {
      if (journaled.publishing === work) journaled.publishing = undefined;
    });
    return work;
  }

  /** Extracts a journal into a staging directory and commits that as the layer it names. */
  async #unpack(id: string, attrs: OverlayAttrs | undefined): Promise<void> {
    const tar = await this.#journal.read(id);
    if (!tar) throw new Error('its journal is gone');
    // Closed before the journal is dropped: a file still being read is not kept for reuse.
    const closed = once(tar, 'close');
    let unpacked;
    try {
      unpacked = await extractLayer(this, attrs, tar, { maxBytes: this.#options.maxBytes, maxEntries: Number.MAX_SAFE_INTEGER }, { ownSymlinks: true });
    } finally {
      tar.destroy();
      await closed;
    }
    await this.commit(unpacked.staging, attrs, unpacked.marks, id);
  }

  /**
   * Deletes every layer neither in `keep` nor in `protect`, and staging directories left by
   * processes that died.
   */
  async collect(keep: ReadonlySet<string>, protect: ReadonlySet<string>): Promise<{ removedLayers: number; freedBytes: number }> {
    // Journaled layers become layers first, then are judged like any other; the journal files
    // kept for reuse hold old layers' bytes, which must not outlive them.
    await this.settle();
    await this.#journal.dropSpares();
    let removedLayers = 0;
    let freedBytes = 0;
    for (const name of readdirSync(this.layersDir)) {
      const path = join(this.layersDir, name);
      if (name.startsWith('.')) {
        if (name.startsWith('.staging-') || name.startsWith('.doomed-')) {
          const age = Date.now() - statSync(path).mtimeMs;
          if (name.startsWith('.doomed-') || age > STALE_STAGING_MS) await rm(path, { recursive: true, force: true });
        }
        continue;
      }
      const id = `sha256:${name}`;
      if (!ID.test(id) || keep.has(id) || protect.has(id)) continue;
      const info = this.info(id);
      // Renamed away first: a half-deleted layer must never be found under its id.
      const doomed = join(this.layersDir, `.doomed-${randomBytes(8).toString('hex')}`);
      await rename(path, doomed);
      await rm(join(this.#infoDir, `${name}.json`), { force: true });
      await rm(doomed, { recursive: true, force: true });
      removedLayers += 1;
      freedBytes += info?.bytes ?? 0;
    }
    return { removedLayers, freedBytes };
  }
}

/** Removes the directory `source` gives, if it gives one (a layer that needs no second copy). */
function dropWhenGiven(source: Promise<string | undefined> | undefined): void {
  void source?.then((dir) => (dir ? rm(dir, { recursive: true, force: true }) : undefined)).catch(() => {});
}

/** Runs `work` over `items` with at most `limit` at a time. */
export async function forEachLimit<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}
