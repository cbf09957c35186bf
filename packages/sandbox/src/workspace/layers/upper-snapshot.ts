/**
 * Turning a writable directory (an overlay upper, or the copy-based store's tree) into a new
 * layer that holds what changed since the previous snapshot of the same directory:
 *
 * - entries new or changed since then (inode, ctime, size or type differ), with the directories
 *   above them; a directory that became opaque (deleted and made again) with all it holds;
 * - a whiteout for each entry that existed at the previous snapshot and is gone.
 *
 * Stacked on the previous snapshot's layers, the result shows exactly the directory's state, and
 * unchanged files cost neither time nor space. Without a previous snapshot the layer holds the
 * whole directory. ctime cannot be set by a sandbox, so an unchanged ctime means unchanged data;
 * a file whose ctime was within `RACY_NS` (50 ms) of the previous snapshot is taken again, since
 * a write in the same clock tick may have left its ctime as it was; unless it is exactly as the
 * previous snapshot's layer holds it (bytes, mode and time), which settles it as unchanged (the
 * way git settles a racily clean file), so a checkpoint right after a write does not make the
 * next one, with nothing changed, a new layer.
 */
import { chmodSync, closeSync, constants, copyFileSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, readlinkSync, readSync, renameSync, symlinkSync, utimesSync } from 'node:fs';
import { join, posix } from 'node:path';
import { SandboxError } from '../../sandbox.js';
import type { OverlayAttrs } from '../overlay/overlay-helper.js';
import type { LayerMarks, WalkedEntry } from './layer-walk.js';
import type { LayerEntry } from './layer-tar.js';
import { walkLayer } from './layer-walk.js';
import { comparePaths } from './layer-tar.js';
import { copyKeepingHoles, isSparse } from './sparse-files.js';
import { timeSlicer } from './time-slice.js';

// Comfortably more than one tick of the coarse clock that stamps ctimes (1 to 10 ms), plus the
// lag between that clock and the wall clock read here.
const RACY_NS = 50_000_000n;
/** Files up to this size are copied by one synchronous call (see time-slice.ts). */
const SMALL_COPY = 1024 * 1024;

/** What a directory held at a snapshot, by path. */
export interface UpperManifest {
  entries: Map<string, { kind: 'dir' | 'file' | 'symlink' | 'whiteout'; ino: bigint; ctimeNs: bigint; size: number; opaque: boolean }>;
  /** Wall-clock time of the snapshot, in ns (taken while nothing could write). */
  takenAtNs: bigint;
}

/** How to read and write overlay marks. */
export interface SnapshotIo {
  /** Reads and writes opaque marks and whiteouts (overlay storage); absent: marks as lists. */
  attrs: OverlayAttrs | undefined;
  /** Move files out of `dir` instead of copying them (the directory is about to be dropped). */
  move: boolean;
  /** Largest total length of file data the layer may hold; beyond it nothing is copied. */
  maxBytes: number;
  /** The layer the previous snapshot made (where its racy entries can be compared), if any. */
  previousLayer?: LayerLookup | undefined;
}

/**
 * A layer as the racy rule compares with it: the canonical entry it holds at a path, and a
 * reader of that entry's bytes when it is a file with no other name in the layer.
 */
export interface LayerLookup {
  find(path: string): { entry: LayerEntry; read?: (buffer: Buffer, length: number, position: number) => number } | undefined;
}

/** What changed in a directory since its previous snapshot: the new layer, entry by entry. */
export interface UpperChanges {
  manifest: UpperManifest;
  /**
   * The new layer's entries in canonical order, exactly as a walk of the built layer would give
   * them (the tar of these is the layer's canonical tar); sources are paths in the directory.
   */
  entries: WalkedEntry[];
  /** Whiteouts and opaque directories among `entries`, for storage that keeps them as lists. */
  marks: LayerMarks;
  /** Bytes of file data in the layer. */
  addedBytes: number;
  /** Whether a file of the layer has holes (its tar would write them out as zeros). */
  sparse: boolean;
}

/** The outcome of one snapshot. */
export interface UpperSnapshot {
  manifest: UpperManifest;
  /** Whiteouts and opaque directories, for storage without device nodes and xattrs. */
  marks: LayerMarks;
  /** Whether the layer holds anything (false: nothing changed). */
  changed: boolean;
  /** Bytes of file data copied or moved into the layer. */
  addedBytes: number;
}

const kindOf = (walked: WalkedEntry) => (walked.entry.type === 'hardlink' ? 'file' : walked.entry.type);
const parentOf = (path: string) => (posix.dirname(path) === '.' ? '' : posix.dirname(path));

/**
 * Builds in `staging` the layer of what changed in `dir` since `previous`.
 * @param previous the manifest returned by the previous snapshot of `dir`, if any
 */
export async function snapshotUpper(dir: string, staging: string, previous: UpperManifest | undefined, io: SnapshotIo): Promise<UpperSnapshot> {
  const changes = await diffUpper(dir, previous, io);
  if (changes.entries.length === 0) return { manifest: changes.manifest, marks: changes.marks, changed: false, addedBytes: 0 };
  await buildLayer(changes, staging, io);
  return { manifest: changes.manifest, marks: changes.marks, changed: true, addedBytes: changes.addedBytes };
}

/**
 * What changed in `dir` since `previous` (everything, without one), as the entries of a layer.
 * Reads only metadata, but for racy files compared with the previous layer.
 * @throws SandboxError `too_large` when the changed files' data exceeds `io.maxBytes`
 */
export async function diffUpper(dir: string, previous: UpperManifest | undefined, io: Omit<SnapshotIo, 'move'>): Promise<UpperChanges> {
  const takenAtNs = BigInt(Date.now()) * 1_000_000n;
  const now = await walkLayer(dir, io.attrs ? { attrs: io.attrs, knownOpaque: knownOpaque(previous) } : {});
  const byPath = new Map(now.map((walked) => [walked.entry.path, walked]));
  const include = new Map<string, WalkedEntry | 'whiteout'>();
  const opaqueHere = new Set<string>();
  let forcedRoot: string | undefined;
  for (const walked of now) {
    const path = walked.entry.path;
    if (forcedRoot !== undefined && !path.startsWith(`${forcedRoot}/`)) forcedRoot = undefined;
    const before = previous?.entries.get(path);
    const forced = forcedRoot !== undefined;
    const seenBefore =
      previous !== undefined &&
      before !== undefined &&
      before.kind === kindOf(walked) &&
      before.ino === walked.ino &&
      before.ctimeNs === walked.ctimeNs &&
      (walked.entry.type !== 'file' || before.size === walked.entry.size);
    const racy = seenBefore && before!.ctimeNs >= previous!.takenAtNs - RACY_NS;
    const changed = !seenBefore || (racy && !(io.previousLayer && before!.opaque === (walked.entry.type === 'dir' && walked.entry.opaque) && sameAsInLayer(walked, io.previousLayer)));
    if (walked.entry.type === 'dir') {
      const opaque = walked.entry.opaque;
      const newlyOpaque = opaque && (!previous || !before || before.kind !== 'dir' || before.ino !== walked.ino || !before.opaque);
      if (opaque && (forced || newlyOpaque)) opaqueHere.add(path);
      if (newlyOpaque && !forced) forcedRoot = path;
      if (forced || newlyOpaque || changed) include.set(path, walked);
    } else if (forced || changed) {
      include.set(path, walked);
    }
  }
  for (const [path, before] of previous?.entries ?? []) {
    if (byPath.has(path) || before.kind === 'whiteout') continue;
    const parent = parentOf(path);
    // Under a directory that is gone or no longer a directory: that one's own change hides it.
    if (parent !== '' && byPath.get(parent)?.entry.type !== 'dir') continue;
    if (parent !== '' && opaqueHere.has(parent)) continue;
    include.set(path, 'whiteout');
  }
  const manifest = manifestOf(now, takenAtNs);
  const marks = { whiteouts: [] as string[], opaque: [] as string[] };
  if (include.size === 0) return { manifest, entries: [], marks, addedBytes: 0, sparse: false };
  for (const path of [...include.keys()]) {
    for (let up = parentOf(path); up !== '' && !include.has(up); up = parentOf(up)) include.set(up, byPath.get(up)!);
  }
  const entries: WalkedEntry[] = [];
  let addedBytes = 0;
  let sparse = false;
  for (const path of [...include.keys()].sort(comparePaths)) {
    const item = include.get(path)!;
    if (item === 'whiteout' || item.entry.type === 'whiteout') {
      marks.whiteouts.push(path);
      entries.push({ entry: { type: 'whiteout', path, mtime: 0 }, source: undefined, ino: 0n, ctimeNs: 0n, nlink: 1, blocks: 0 });
      continue;
    }
    const { entry } = item;
    if (entry.type === 'dir') {
      const opaque = opaqueHere.has(path);
      if (opaque) marks.opaque.push(path);
      entries.push({ ...item, entry: { ...entry, opaque } });
    } else if (entry.type === 'hardlink' && include.get(entry.target) === undefined) {
      // A new name for a file that is not in this layer: the layer holds a file of its own.
      const st = lstatSync(item.source!);
      entries.push({ ...item, entry: { type: 'file', path, mode: entry.mode, mtime: entry.mtime, size: st.size }, nlink: 1, blocks: st.blocks });
      addedBytes += st.size;
      sparse ||= isSparse({ size: st.size, blocks: st.blocks });
    } else {
      if (entry.type === 'file') {
        addedBytes += entry.size;
        sparse ||= isSparse({ size: entry.size, blocks: item.blocks });
      }
      entries.push(item);
    }
  }
  if (addedBytes > io.maxBytes) {
    throw new SandboxError('too_large', `the files changed since the last checkpoint add up to ${addedBytes} bytes (sparse files count in full), more than the ${io.maxBytes} one checkpoint may hold`);
  }
  return { manifest, entries, marks, addedBytes, sparse };
}

/** For the walk: a directory unchanged since the previous snapshot (inode and ctime) keeps its mark. */
function knownOpaque(previous: UpperManifest | undefined): ((path: string, ino: bigint, ctimeNs: bigint) => boolean | undefined) | undefined {
  if (!previous) return undefined;
  return (path, ino, ctimeNs) => {
    const before = previous.entries.get(path);
    // Setting or removing an xattr changes the ctime: the same ctime means the same mark.
    return before && before.kind === 'dir' && before.ino === ino && before.ctimeNs === ctimeNs ? before.opaque : undefined;
  };
}

/**
 * Builds the layer `changes` describes in `staging` from the files its entries name: directories,
 * whiteouts and symlinks first, in order (parents before children); then the files, by
 * synchronous calls in time slices (while a running sandbox is frozen for this, each trip through
 * the thread pool for a file's copy, mode and times lengthened the pause); directories' modes and
 * times last.
 */
export async function buildLayer(changes: UpperChanges, staging: string, io: Pick<SnapshotIo, 'attrs' | 'move'>): Promise<void> {
  const dirs: [string, number, number][] = [];
  const files: WalkedEntry[] = [];
  const links: [string, string][] = [];
  const slice = timeSlicer();
  // Requests to the attribute helper are answered in order: sent together, awaited once (and
  // never left unhandled when this loop throws first).
  const helperWork: Promise<void>[] = [];
  const ask = (work: Promise<void>) => {
    work.catch(() => {});
    helperWork.push(work);
  };
  for (const item of changes.entries) {
    await slice();
    const { entry } = item;
    const target = join(staging, entry.path);
    if (entry.type === 'whiteout') {
      if (io.attrs) ask(io.attrs.whiteout(target));
    } else if (entry.type === 'dir') {
      mkdirSync(target, { mode: 0o700 });
      dirs.push([entry.path, entry.mode, entry.mtime]);
      if (entry.opaque && io.attrs) ask(io.attrs.markOpaque(target));
    } else if (entry.type === 'symlink') {
      symlinkSync(entry.target, target);
      lutimesSync(target, entry.mtime, entry.mtime);
    } else if (entry.type === 'hardlink') {
      links.push([entry.target, entry.path]);
    } else {
      files.push(item);
    }
  }
  await Promise.all(helperWork);
  for (const item of files) {
    await slice();
    const { path, mode, mtime, size } = item.entry as { path: string; mode: number; mtime: number; size: number };
    const source = item.source!;
    const target = join(staging, path);
    if (io.move) {
      renameSync(source, target);
      continue;
    }
    const known = { size, blocks: item.blocks };
    if (size <= SMALL_COPY && !isSparse(known)) copyFileSync(source, target, constants.COPYFILE_EXCL);
    else await copyKeepingHoles(source, target, known);
    chmodSync(target, mode);
    utimesSync(target, mtime, mtime);
  }
  for (const [target, path] of links) linkSync(join(staging, target), join(staging, path));
  for (const [path, mode, mtime] of dirs.reverse()) {
    await slice();
    chmodSync(join(staging, path), mode);
    utimesSync(join(staging, path), mtime, mtime);
  }
}

/**
 * Whether an entry is exactly as the previous layer holds it: what the layer's canonical tar
 * would record (type, mode, mtime in seconds, a symlink's target) and, for a file, every byte.
 * Whiteouts and extra names of a file are never settled this way: they are taken again.
 */
function sameAsInLayer(walked: WalkedEntry, layer: LayerLookup): boolean {
  const { entry } = walked;
  const found = layer.find(entry.path);
  if (!found) return false;
  const stored = found.entry;
  switch (entry.type) {
    case 'dir':
      return stored.type === 'dir' && stored.mode === entry.mode && stored.mtime === entry.mtime;
    case 'symlink':
      return stored.type === 'symlink' && stored.mtime === entry.mtime && stored.target === entry.target;
    case 'file':
      return stored.type === 'file' && found.read !== undefined && walked.nlink === 1 && stored.size === entry.size && stored.mode === entry.mode && stored.mtime === entry.mtime && sameBytes(walked.source!, found.read, entry.size);
    default:
      return false;
  }
}

/** A layer directory as a `LayerLookup`. */
export function layerDirLookup(layer: string): LayerLookup {
  return {
    find(path) {
      const stored = join(layer, path);
      let st;
      try {
        st = lstatSync(stored);
      } catch {
        return undefined;
      }
      const mtime = Math.floor(st.mtimeMs / 1000);
      const mode = st.mode & 0o7777;
      if (st.isDirectory()) return { entry: { type: 'dir', path, mode, mtime, opaque: false } };
      if (st.isSymbolicLink()) return { entry: { type: 'symlink', path, mtime, target: readlinkSync(stored) } };
      if (!st.isFile()) return undefined;
      const entry: LayerEntry = { type: 'file', path, mode, mtime, size: st.size };
      if (st.nlink !== 1) return { entry };
      return { entry, read: (buffer, length, position) => readAt(stored, buffer, length, position) };
    },
  };
}

function readAt(path: string, buffer: Buffer, length: number, position: number): number {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return readFully(fd, buffer, length, position);
  } finally {
    closeSync(fd);
  }
}

/** Whether regular file `a` (read without following links) holds the same `size` bytes as `read` gives. */
function sameBytes(a: string, read: (buffer: Buffer, length: number, position: number) => number, size: number): boolean {
  const chunk = Math.min(size, 1024 * 1024);
  if (chunk === 0) return true;
  const [left, right] = [Buffer.allocUnsafe(chunk), Buffer.allocUnsafe(chunk)];
  const fa = openSync(a, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    for (let offset = 0; offset < size; ) {
      const want = Math.min(chunk, size - offset);
      if (readFully(fa, left, want, offset) !== want || read(right, want, offset) !== want) return false;
      if (!left.subarray(0, want).equals(right.subarray(0, want))) return false;
      offset += want;
    }
    return true;
  } finally {
    closeSync(fa);
  }
}

/** Reads `length` bytes at `position` unless the file ends first; how many were read. */
export function readFully(fd: number, buffer: Buffer, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

function manifestOf(now: readonly WalkedEntry[], takenAtNs: bigint): UpperManifest {
  const entries: UpperManifest['entries'] = new Map();
  for (const walked of now) {
    const { entry } = walked;
    entries.set(entry.path, {
      kind: kindOf(walked),
      ino: walked.ino,
      ctimeNs: walked.ctimeNs,
      size: entry.type === 'file' ? entry.size : 0,
      opaque: entry.type === 'dir' && entry.opaque,
    });
  }
  return { entries, takenAtNs };
}
