/**
 * Applying a stack of layers, bottom first, to a directory: whiteouts delete, opaque directories
 * replace, everything else is created or replaced. Used by the copy-based store (fork and
 * restore copy the files) and to squash a deep stack into one layer (hard links: layers never
 * change, so sharing their inodes is safe).
 *
 * Each entry's parent is a directory the same layer created just before (layers always hold the
 * directories above their entries), so nothing here ever writes through a symlink.
 */
import { chmod, lchown, link, lstat, lutimes, mkdir, rm, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { OverlayAttrs } from '../overlay/overlay-helper.js';
import { forEachLimit, type LayerRepository } from './layer-repository.js';
import { walkLayer } from './layer-walk.js';
import { copyKeepingHoles } from './sparse-files.js';

async function exists(path: string): Promise<{ dir: boolean } | undefined> {
  try {
    return { dir: (await lstat(path)).isDirectory() };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Applies `layers` to `target` (an existing directory).
 * @param how `copy` gives the target files of its own; `link` hard-links layer files
 * @param owner chowns everything created to this owner afterwards
 */
export async function materialize(repo: LayerRepository, attrs: OverlayAttrs | undefined, layers: readonly string[], target: string, how: 'copy' | 'link', owner?: { uid: number; gid: number }): Promise<void> {
  const dirs = new Map<string, [number, number]>();
  for (const id of layers) {
    const info = repo.info(id);
    if (!info) throw new Error(`layer ${id} is missing`);
    const layerDir = repo.dir(id);
    const entries = await repo.walk(layerDir, attrs, info.marks);
    for (const { entry } of entries) {
      const path = join(target, entry.path);
      const present = await exists(path);
      if (entry.type === 'whiteout') {
        if (present) await rm(path, { recursive: true, force: true });
        dirs.delete(entry.path);
        continue;
      }
      if (entry.type === 'dir') {
        if (present && (!present.dir || entry.opaque)) await rm(path, { recursive: true, force: true });
        if (!present || !present.dir || entry.opaque) await mkdir(path, { mode: 0o700 });
        dirs.set(entry.path, [entry.mode, entry.mtime]);
        continue;
      }
      if (present) await rm(path, { recursive: true, force: true });
      dirs.delete(entry.path);
      if (entry.type === 'symlink') {
        await symlink(entry.target, path);
        await lutimes(path, entry.mtime, entry.mtime);
      } else if (entry.type === 'hardlink') {
        await link(join(target, entry.target), path);
      } else if (how === 'link') {
        await link(join(layerDir, entry.path), path);
      } else {
        await copyKeepingHoles(join(layerDir, entry.path), path);
        await chmod(path, entry.mode);
        await utimes(path, entry.mtime, entry.mtime);
      }
    }
  }
  if (owner) {
    const all = await walkLayer(target);
    await lchown(target, owner.uid, owner.gid);
    await forEachLimit(all, 64, async (walked) => {
      if (walked.source) await lchown(walked.source, owner.uid, owner.gid);
    });
  }
  const ordered = [...dirs.entries()].sort((a, b) => b[0].length - a[0].length);
  for (const [path, [mode, mtime]] of ordered) {
    const full = join(target, path);
    try {
      await chmod(full, mode);
      await utimes(full, mtime, mtime);
    } catch (err) {
      // Removed by a later layer (a whiteout of a directory above it).
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
