/**
 * A sandbox's merged view: an overlay of its stack of layers under its writable layer, mounted on
 * the host (nosuid, nodev) at `workspaces/<id>/merged`, whose `workspace/`, `home/` and `outputs/`
 * the provider binds into the sandbox. The upper (`rw/`) and work directories are never inside
 * what is bound, so a sandbox cannot reach them or forge the overlay's xattrs (hazard 5).
 *
 * ```
 * workspaces/<id>/
 *   rw/           0700 uid   the upper directory (the writable layer)
 *   merged/                  the overlay (mount point)
 *   ovl/          0700 root
 *     work/                  the overlay's work directory
 *     lower/                 an idmapped clone of <root>/layers (mount point), when the layer
 *                            owner is not the sandbox's uid
 *     s/0 s/1 …              short names for the stack's layers, top first (symlinks): the
 *                            option string holds at most 4096 bytes, 500 lowers need short paths
 * ```
 */
import { mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { layerHex } from '../layers/layer-id.js';
import { mountOverlay, unmountAll, type OverlayAttrs } from './overlay-helper.js';

/** The kernel's limit on lower layers of one overlay. */
export const MAX_LOWER_LAYERS = 500;
const MAX_OPTIONS = 4000;

/** Where one sandbox's view lives. */
export interface ViewPaths {
  rw: string;
  merged: string;
  ovl: string;
  work: string;
  lower: string;
  links: string;
}

/**
 * A stack with each layer kept only at its topmost place. Layers are content addressed, so a
 * layer committed twice (the same changes snapshotted, then folded) has one id; overlayfs
 * refuses a directory that is two lowers at once (ELOOP). Dropping the lower copy changes
 * nothing: every path the lower copy could show, the upper copy shows on top of it.
 */
export function topmostUnique(stack: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (let i = stack.length - 1; i >= 0; i -= 1) {
    if (seen.has(stack[i]!)) continue;
    seen.add(stack[i]!);
    out.unshift(stack[i]!);
  }
  return out;
}

/** `stack` with `layer` on top (and nowhere below: see `topmostUnique`). */
export function onTop(stack: readonly string[], layer: string): string[] {
  return topmostUnique([...stack, layer]);
}

/** The view's paths inside a sandbox's storage directory. */
export function viewPaths(dir: string): ViewPaths {
  const ovl = join(dir, 'ovl');
  return { rw: join(dir, 'rw'), merged: join(dir, 'merged'), ovl, work: join(ovl, 'work'), lower: join(ovl, 'lower'), links: join(ovl, 's') };
}

/** Whether `path` is a mount point in this process's mount namespace. */
export function isMountPoint(path: string): boolean {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  for (const line of text.split('\n')) {
    const point = line.split(' ')[4];
    if (point !== undefined && point.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))) === path) return true;
  }
  return false;
}

/**
 * Mounts the view of `stack` (bottom first) over `paths.rw`.
 * @param idmap when set, layers (owned by `inner`) are seen through an idmapped clone as `outer`'s
 * @param emptyDir the lower directory of an empty stack (an overlay needs one)
 * @throws Error when the kernel refuses (the idmapped clone is undone first)
 */
export async function mountView(paths: ViewPaths, stack: readonly string[], layersDir: string, emptyDir: string, idmap: { inner: number; outer: number } | undefined, helper?: OverlayAttrs): Promise<void> {
  stack = topmostUnique(stack);
  if (stack.length > MAX_LOWER_LAYERS) throw new Error(`a stack of ${stack.length} layers is deeper than overlayfs allows`);
  mkdirSync(paths.ovl, { recursive: true, mode: 0o700 });
  rmSync(paths.links, { recursive: true, force: true });
  mkdirSync(paths.links, { mode: 0o700 });
  mkdirSync(paths.work, { recursive: true, mode: 0o700 });
  mkdirSync(paths.lower, { recursive: true, mode: 0o700 });
  mkdirSync(paths.merged, { recursive: true, mode: 0o755 });
  const names: string[] = [];
  const topFirst = [...stack].reverse();
  topFirst.forEach((id, index) => {
    const name = index.toString(36);
    symlinkSync(idmap ? `../lower/${layerHex(id)}` : join(layersDir, layerHex(id)), join(paths.links, name));
    names.push(name);
  });
  if (names.length === 0) {
    symlinkSync(emptyDir, join(paths.links, '0'));
    names.push('0');
  }
  // Renamed directories and metadata-only copies would store overlay-private pointers in the
  // upper, which stop meaning anything once it becomes a layer of another stack: both off.
  const options = `lowerdir=${names.join(':')},upperdir=${paths.rw},workdir=${paths.work},redirect_dir=off,metacopy=off,index=off,xino=off`;
  if (options.length > MAX_OPTIONS) throw new Error('the overlay options are too long for the kernel');
  try {
    const clone = idmap ? { layers: layersDir, lower: paths.lower, ...idmap } : undefined;
    await (helper ? helper.mount(paths.links, paths.merged, options, clone) : mountOverlay(paths.links, paths.merged, options, clone));
  } catch (err) {
    await unmountView(paths, helper).catch(() => {});
    throw err;
  }
}

/** Unmounts the view (and the idmapped clone), whatever of it is mounted; by `helper` when given. */
export function unmountView(paths: ViewPaths, helper?: OverlayAttrs): Promise<void> {
  const both = [paths.merged, paths.lower];
  return helper ? helper.unmount(both) : unmountAll(both);
}
