/**
 * Reading a layer directory as canonical entries (see layer-tar.ts), and turning those into the
 * tar bytes whose SHA-256 is the layer's id. Nothing here follows a symlink: every entry is
 * looked at with lstat, and file data is read through descriptors opened with O_NOFOLLOW.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, lstatSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { OverlayAttrs } from '../overlay/overlay-helper.js';
import { timeSlicer } from './time-slice.js';
import { comparePaths, dataPadding, entryHeader, TAR_END, type LayerEntry } from './layer-tar.js';

/** An entry with where its data lives on the host and the facts used to tell changes apart. */
export interface WalkedEntry {
  entry: LayerEntry;
  /** Host path of the entry (absent for whiteouts recorded only in metadata). */
  source: string | undefined;
  ino: bigint;
  ctimeNs: bigint;
  nlink: number;
  /** 512-byte blocks allocated: fewer than the size needs means a sparse file. */
  blocks: number;
}

/**
 * Whiteouts and opaque directories kept as lists beside a layer, where the store cannot create
 * device nodes or trusted xattrs (the copy-based fallback).
 */
export interface LayerMarks {
  whiteouts: readonly string[];
  opaque: readonly string[];
}

/** How to recognise overlay marks while walking. */
export interface WalkOptions {
  /** Reads the opaque xattr of directories (overlay storage); without it, `marks` only. */
  attrs?: OverlayAttrs;
  marks?: LayerMarks;
  /**
   * With `attrs`: a directory's opaque mark when the caller knows it already (a directory seen
   * before with the same inode and ctime), saving a round trip to the helper; undefined: ask.
   */
  knownOpaque?: ((path: string, ino: bigint, ctimeNs: bigint) => boolean | undefined) | undefined;
}

/**
 * Every entry of `dir` (recursively), sorted canonically; sockets, FIFOs and devices other than
 * whiteouts are not part of a layer and are left out. Files with several names in the layer
 * become a file and hard links to it.
 */
export async function walkLayer(dir: string, options: WalkOptions = {}): Promise<WalkedEntry[]> {
  const out: WalkedEntry[] = [];
  const opaqueMarks = new Set(options.marks?.opaque ?? []);
  const pendingOpaque: Promise<void>[] = [];
  // Synchronous calls in time slices: see time-slice.ts (the tree was usually just written).
  const slice = timeSlicer();
  const visit = async (relative: string): Promise<void> => {
    const names = readdirSync(relative ? join(dir, relative) : dir);
    for (const name of names) {
      await slice();
      const path = relative ? `${relative}/${name}` : name;
      const source = join(dir, path);
      const st = lstatSync(source, { bigint: true });
      const mtime = Number(st.mtimeMs / 1000n);
      const facts = { source, ino: st.ino, ctimeNs: st.ctimeNs, nlink: Number(st.nlink), blocks: Number(st.blocks) };
      const mode = Number(st.mode) & 0o7777;
      if (st.isDirectory()) {
        const walked: WalkedEntry = { entry: { type: 'dir', path, mode, mtime, opaque: opaqueMarks.has(path) }, ...facts };
        out.push(walked);
        const known = options.knownOpaque?.(path, st.ino, st.ctimeNs);
        if (known !== undefined) (walked.entry as { opaque: boolean }).opaque = known;
        else if (options.attrs) {
          pendingOpaque.push(
            options.attrs.isOpaque(source).then((opaque) => {
              if (opaque) (walked.entry as { opaque: boolean }).opaque = true;
            }),
          );
        }
        await visit(path);
      } else if (st.isFile()) {
        out.push({ entry: { type: 'file', path, mode, mtime, size: Number(st.size) }, ...facts });
      } else if (st.isSymbolicLink()) {
        out.push({ entry: { type: 'symlink', path, mtime, target: readlinkSync(source) }, ...facts });
      } else if (st.isCharacterDevice() && st.rdev === 0n) {
        // A whiteout's own times say nothing about the layer: always 0, so both ways of storing
        // one (a device node, or a list beside the layer) give the same id.
        out.push({ entry: { type: 'whiteout', path, mtime: 0 }, ...facts });
      }
    }
  };
  await visit('');
  await Promise.all(pendingOpaque);
  for (const path of options.marks?.whiteouts ?? []) {
    out.push({ entry: { type: 'whiteout', path, mtime: 0 }, source: undefined, ino: 0n, ctimeNs: 0n, nlink: 1, blocks: 0 });
  }
  out.sort((a, b) => comparePaths(a.entry.path, b.entry.path));
  const firstNames = new Map<bigint, string>();
  for (const walked of out) {
    if (walked.entry.type !== 'file' || walked.nlink < 2) continue;
    const first = firstNames.get(walked.ino);
    if (first === undefined) firstNames.set(walked.ino, walked.entry.path);
    else walked.entry = { type: 'hardlink', path: walked.entry.path, mode: walked.entry.mode, mtime: walked.entry.mtime, target: first };
  }
  return out;
}

/** Bytes of regular file data in the entries (what the layer's own files take). */
export function dataBytes(entries: readonly WalkedEntry[]): number {
  let total = 0;
  for (const { entry } of entries) if (entry.type === 'file') total += entry.size;
  return total;
}

/** Files up to this size are read in one synchronous call (see time-slice.ts); larger ones stream. */
const SMALL_FILE = 1024 * 1024;

async function* fileData(path: string, size: number): AsyncGenerator<Buffer> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    for (let offset = 0; offset < size; ) {
      const buffer = Buffer.allocUnsafe(Math.min(size - offset, 4 * 1024 * 1024));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) throw new Error(`${path} shrank while it was read: a layer changed`);
      offset += bytesRead;
      yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

function smallFileData(path: string, size: number): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const buffer = Buffer.allocUnsafe(size);
    for (let offset = 0; offset < size; ) {
      const bytesRead = readSync(fd, buffer, offset, size - offset, offset);
      if (bytesRead === 0) throw new Error(`${path} shrank while it was read: a layer changed`);
      offset += bytesRead;
    }
    return buffer;
  } finally {
    closeSync(fd);
  }
}

/** The canonical tar bytes of walked entries, in pieces. */
export async function* tarChunks(entries: readonly WalkedEntry[]): AsyncGenerator<Buffer> {
  const slice = timeSlicer();
  for (const { entry, source } of entries) {
    await slice();
    yield entryHeader(entry);
    if (entry.type === 'file' && entry.size > 0) {
      if (entry.size <= SMALL_FILE) yield smallFileData(source!, entry.size);
      else yield* fileData(source!, entry.size);
      yield dataPadding(entry.size);
    }
  }
  yield TAR_END;
}

/** The layer id (`sha256:<hex>`) of walked entries. */
export async function layerDigest(entries: readonly WalkedEntry[]): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of tarChunks(entries)) hash.update(chunk);
  return `sha256:${hash.digest('hex')}`;
}

/** The canonical tar of walked entries as a stream. */
export function tarStream(entries: readonly WalkedEntry[]): Readable {
  return Readable.from(tarChunks(entries), { objectMode: false });
}
