/**
 * Layers written ahead as one file: a checkpoint's new layer is first its canonical tar, written
 * sequentially to `<root>/journal/<hex>.tar` and synced, and only afterwards unpacked into the
 * layer's directory (layer-repository.ts publishes it). One file and one `fdatasync` cost a
 * fraction of creating a directory tree of hundreds of entries and syncing the file system (see
 * docs/decisions/2026-11-23-layer-journal.md), so a checkpoint can be acknowledged as soon as the
 * journal is durable, the way a database acknowledges a commit once its log is.
 *
 * ```
 * <root>/journal/              0700
 *   .tmp-<random>              a journal being written (never acknowledged: removed at open)
 *   <hex>.tar                  a complete, synced journal of layer sha256:<hex>
 * ```
 *
 * The name is given by a rename after the data is synced, and the directory is synced after the
 * rename: a journal under its id's name is whole. The tar's SHA-256 is computed while it is
 * written and is the layer's id, as for any layer (layer-tar.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, rmSync, writevSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LayerLookup } from './upper-snapshot.js';
import { readFully } from './upper-snapshot.js';
import type { LayerEntry } from './layer-tar.js';
import { layerHex } from './layer-id.js';
import { tarChunks, type WalkedEntry } from './layer-walk.js';
import { syncDirectory } from './sync.js';

/** Where a layer's entries are in its journal (files: the offset of their data). */
export type JournalIndex = Map<string, { entry: LayerEntry; offset: number; linked: boolean }>;

/** A journal whose data is written but not yet durable. */
export interface JournalDraft {
  id: string;
  index: JournalIndex;
  /** Makes it durable under its id's name (a no-op copy when that journal exists already). */
  finish(): Promise<void>;
  /** Drops it. */
  abort(): Promise<void>;
}

/** Buffers up to this much before one `writev`. */
const BATCH_BYTES = 1024 * 1024;

/** The journal directory of one storage root. */
export class LayerJournal {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** The journal file of layer `id` (whether or not it exists). */
  path(id: string): string {
    return join(this.dir, `${layerHex(id)}.tar`);
  }

  has(id: string): boolean {
    return existsSync(this.path(id));
  }

  /** The ids of complete journals. */
  ids(): string[] {
    return readdirSync(this.dir)
      .filter((name) => /^[0-9a-f]{64}\.tar$/.test(name))
      .map((name) => `sha256:${name.slice(0, 64)}`);
  }

  /** Removes journals left half-written by a process that died (none of them was acknowledged). */
  removeUnfinished(): void {
    for (const name of readdirSync(this.dir)) if (name.startsWith('.tmp-')) rmSync(join(this.dir, name), { force: true });
  }

  async remove(id: string): Promise<void> {
    await rm(this.path(id), { force: true });
  }

  /**
   * Writes the canonical tar of `entries` (as `walkLayer` would give them for the built layer) to
   * a new journal, hashing it on the way: the sources are read now, and only now (call it while
   * they cannot change), by synchronous calls in time slices.
   */
  async write(entries: readonly WalkedEntry[]): Promise<JournalDraft> {
    const temporary = join(this.dir, `.tmp-${randomBytes(8).toString('hex')}`);
    const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    const index: JournalIndex = new Map();
    const linked = new Set<string>();
    let id: string;
    try {
      const hash = createHash('sha256');
      let batch: Buffer[] = [];
      let batched = 0;
      const flush = () => {
        for (let written = 0; written < batched; ) {
          written += writevSync(fd, written === 0 ? batch : remaining(batch, written));
        }
        batch = [];
        batched = 0;
      };
      const offsets = new Map<WalkedEntry, number>();
      for await (const chunk of tarChunks(entries, (walked, offset) => offsets.set(walked, offset))) {
        hash.update(chunk);
        batch.push(chunk);
        batched += chunk.length;
        if (batched >= BATCH_BYTES) flush();
      }
      flush();
      for (const walked of entries) {
        const { entry } = walked;
        index.set(entry.path, { entry, offset: offsets.get(walked) ?? 0, linked: false });
        if (entry.type === 'hardlink') linked.add(entry.target);
      }
      for (const target of linked) {
        const found = index.get(target);
        if (found) found.linked = true;
      }
      id = `sha256:${hash.digest('hex')}`;
    } catch (err) {
      closeSync(fd);
      rmSync(temporary, { force: true });
      throw err;
    }
    closeSync(fd);
    const final = this.path(id);
    return {
      id,
      index,
      finish: async () => {
        try {
          const handle = await open(temporary, 'r+');
          try {
            await handle.datasync();
          } finally {
            await handle.close();
          }
          // Same id, same bytes: an existing journal of it is as good as this one.
          await rename(temporary, final);
          await syncDirectory(this.dir);
        } catch (err) {
          await rm(temporary, { force: true });
          throw err;
        }
      },
      abort: () => rm(temporary, { force: true }),
    };
  }

  /**
   * A layer's journal as a `LayerLookup`, reading through a descriptor opened now (so the journal
   * can be removed meanwhile), or undefined when it is gone. Close it after use.
   */
  lookup(id: string, index: JournalIndex): (LayerLookup & { close(): void }) | undefined {
    let fd: number;
    try {
      fd = openSync(this.path(id), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch {
      return undefined;
    }
    return {
      find(path) {
        const found = index.get(path);
        if (!found) return undefined;
        if (found.entry.type !== 'file' || found.linked) return { entry: found.entry };
        const start = found.offset;
        const size = found.entry.size;
        return { entry: found.entry, read: (buffer, length, position) => readFully(fd, buffer, Math.max(0, Math.min(length, size - position)), start + position) };
      },
      close: () => closeSync(fd),
    };
  }
}

/** The buffers of `batch` after its first `skip` bytes. */
function remaining(batch: readonly Buffer[], skip: number): Buffer[] {
  const out: Buffer[] = [];
  let left = skip;
  for (const buffer of batch) {
    if (left >= buffer.length) {
      left -= buffer.length;
      continue;
    }
    out.push(left > 0 ? buffer.subarray(left) : buffer);
    left = 0;
  }
  return out;
}
