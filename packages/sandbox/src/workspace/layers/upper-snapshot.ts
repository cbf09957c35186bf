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
  previousLayer?: string | undefined;
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
  const takenAtNs = BigInt(Date.now()) * 1_000_000n;
  const now = await walkLayer(dir, io.attrs ? { attrs: io.attrs } : {});
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
  if (include.size === 0) return { manifest: manifestOf(now, takenAtNs), marks: { whiteouts: [], opaque: [] }, changed: false, addedBytes: 0 };
  for (const path of [...include.keys()]) {
    for (let up = parentOf(path); up !== '' && !include.has(up); up = parentOf(up)) include.set(up, byPath.get(up)!);
  }
  let total = 0;
  for (const item of include.values()) if (item !== 'whiteout' && item.entry.type === 'file') total += item.entry.size;
  if (total > io.maxBytes) {
    throw new SandboxError('too_large', `the files changed since the last checkpoint add up to ${total} bytes (sparse files count in full), more than the ${io.maxBytes} one checkpoint may hold`);
  }
  const marks = { whiteouts: [] as string[], opaque: [] as string[] };
  const dirs: [string, number, number][] = [];
  const files: WalkedEntry[] = [];
  const links: [string, string][] = [];
  let addedBytes = 0;
  // Directories, whiteouts and symlinks first, in order (parents before children); then the
  // files, by synchronous calls in time slices: while a running sandbox is frozen for this, each
  // trip through the thread pool for a file's copy, mode and times lengthened the pause.
  const slice = timeSlicer();
  // Requests to the attribute helper are answered in order: sent together, awaited once (and
  // never left unhandled when this loop throws first).
  const helperWork: Promise<void>[] = [];
  const ask = (work: Promise<void>) => {
    work.catch(() => {});
    helperWork.push(work);
  };
  for (const path of [...include.keys()].sort(comparePaths)) {
    await slice();
    const item = include.get(path)!;
    const target = join(staging, path);
    if (item === 'whiteout' || item.entry.type === 'whiteout') {
      if (io.attrs) ask(io.attrs.whiteout(target));
      else marks.whiteouts.push(path);
      continue;
    }
    const entry = item.entry;
    if (entry.type === 'dir') {
      mkdirSync(target, { mode: 0o700 });
      dirs.push([path, entry.mode, entry.mtime]);
      if (opaqueHere.has(path)) {
        if (io.attrs) ask(io.attrs.markOpaque(target));
        else marks.opaque.push(path);
      }
    } else if (entry.type === 'symlink') {
      symlinkSync(entry.target, target);
      lutimesSync(target, entry.mtime, entry.mtime);
    } else if (entry.type === 'hardlink' && include.get(entry.target) !== undefined) {
      links.push([entry.target, path]);
    } else if (entry.type === 'file' || entry.type === 'hardlink') {
      // (A new name for a file that is not in this layer is stored as a file of its own.)
      files.push(item);
      addedBytes += entry.type === 'file' ? entry.size : 0;
    }
  }
  await Promise.all(helperWork);
  for (const item of files) {
    await slice();
    const path = item.entry.path;
    const source = join(dir, path);
    const target = join(staging, path);
    if (io.move) {
      renameSync(source, target);
      continue;
    }
    const { mode, mtime } = item.entry as { mode: number; mtime: number };
    // (A hardlink entry carries no size: the copy looks at the file itself.)
    const known = item.entry.type === 'file' ? { size: item.entry.size, blocks: item.blocks } : undefined;
    if (known && known.size <= SMALL_COPY && !isSparse(known)) copyFileSync(source, target, constants.COPYFILE_EXCL);
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
  return { manifest: manifestOf(now, takenAtNs), marks, changed: true, addedBytes };
}

/**
 * Whether an entry is exactly as `layer` holds it: what the layer's canonical tar would record
 * (type, mode, mtime in seconds, a symlink's target) and, for a file, every byte. Whiteouts and
 * extra names of a file are never settled this way: they are taken again.
 */
function sameAsInLayer(walked: WalkedEntry, layer: string): boolean {
  const { entry } = walked;
  const stored = join(layer, entry.path);
  let st;
  try {
    st = lstatSync(stored);
  } catch {
    return false;
  }
  const seconds = Math.floor(st.mtimeMs / 1000);
  switch (entry.type) {
    case 'dir':
      return st.isDirectory() && (st.mode & 0o7777) === entry.mode && seconds === entry.mtime;
    case 'symlink':
      return st.isSymbolicLink() && seconds === entry.mtime && readlinkSync(stored) === entry.target;
    case 'file':
      return st.isFile() && st.nlink === 1 && walked.nlink === 1 && st.size === entry.size && (st.mode & 0o7777) === entry.mode && seconds === entry.mtime && sameBytes(walked.source!, stored, entry.size);
    default:
      return false;
  }
}

/** Whether two regular files of `size` bytes hold the same bytes (read without following links). */
function sameBytes(a: string, b: string, size: number): boolean {
  const chunk = Math.min(size, 1024 * 1024);
  if (chunk === 0) return true;
  const [left, right] = [Buffer.allocUnsafe(chunk), Buffer.allocUnsafe(chunk)];
  const fa = openSync(a, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const fb = openSync(b, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      for (let offset = 0; offset < size; ) {
        const want = Math.min(chunk, size - offset);
        if (readFully(fa, left, want, offset) !== want || readFully(fb, right, want, offset) !== want) return false;
        if (!left.subarray(0, want).equals(right.subarray(0, want))) return false;
        offset += want;
      }
      return true;
    } finally {
      closeSync(fb);
    }
  } finally {
    closeSync(fa);
  }
}

function readFully(fd: number, buffer: Buffer, length: number, position: number): number {
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
