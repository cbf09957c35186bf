/**
 * Which method the layered store can use on this host, found by trying: a kernel overlay with an
 * idmapped lower layer, mounted and unmounted in a scratch directory under the storage root.
 * Anything missing (root, overlayfs, perl, idmapped mounts) means the copy-based method.
 */
import { chownSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { helperCommand } from './overlay/overlay-helper.js';
import { mountView, unmountView, viewPaths } from './overlay/overlay-view.js';
import type { UidRange } from './uid-claims.js';

/** Uids used only inside the trial (never given to a file that outlives it). */
const TRIAL = { inner: 2_147_000_001, outer: 2_147_000_002 };

/** `overlay` when this host mounts layered views, else `copy`. */
export async function probeLayeredMethod(root: string, uids: UidRange | 'self'): Promise<'overlay' | 'copy'> {
  if (process.getuid?.() !== 0) return 'copy';
  try {
    if (!/\boverlay\b/.test(readFileSync('/proc/filesystems', 'utf8'))) return 'copy';
  } catch {
    return 'copy';
  }
  if (!helperCommand()) return 'copy';
  const dir = join(root, `.probe-${randomBytes(6).toString('hex')}`);
  const paths = viewPaths(dir);
  const hex = '0'.repeat(64);
  const idmapped = uids !== 'self';
  try {
    const layers = join(dir, 'layers');
    mkdirSync(join(layers, hex), { recursive: true });
    writeFileSync(join(layers, hex, 'probe'), 'probe');
    mkdirSync(paths.rw, { recursive: true });
    if (idmapped) {
      for (const path of [layers, join(layers, hex), join(layers, hex, 'probe')]) chownSync(path, TRIAL.inner, TRIAL.inner);
    }
    await mountView(paths, [`sha256:${hex}`], layers, join(dir, 'empty'), idmapped ? TRIAL : undefined);
    try {
      const st = statSync(join(paths.merged, 'probe'));
      return !idmapped || st.uid === TRIAL.outer ? 'overlay' : 'copy';
    } finally {
      await unmountView(paths);
    }
  } catch {
    return 'copy';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
