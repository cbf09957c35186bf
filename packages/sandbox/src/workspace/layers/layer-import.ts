import { createHash } from 'node:crypto';
/**
 * Importing a layer from a tar stream of unknown origin. Every entry is checked before anything
 * is created for it, the tree is built in a staging directory that nothing else looks at, and
 * the layer is published only if the whole archive was good and its canonical id is the one
 * claimed: on any failure nothing is kept.
 *
 * Rules: paths relative, without `.`/`..`/empty components, each under a directory the archive
 * created before; no path twice; symlinks relative and not climbing out of the layer; hard links
 * only to regular files earlier in the archive; no device but the overlay's whiteout (character
 * 0:0); no FIFOs or other special files; file data in total at most `maxBytes`.
 */
import { constants } from 'node:fs';
import { chmod, link, lutimes, mkdir, open, rm, symlink, utimes } from 'node:fs/promises';
import { posix } from 'node:path';
import { SandboxError } from '../../sandbox.js';
import type { OverlayAttrs } from '../overlay/overlay-helper.js';
import { readTar, type TarHeader } from './layer-tar.js';
import type { LayerRepository, StoredLayerInfo } from './layer-repository.js';
import { layerHex } from './layer-id.js';
import { HoleyWriter } from './sparse-files.js';
import { givingWay } from './time-slice.js';
import type { LayerMarks } from './layer-walk.js';

/** Limits of one import. */
export interface ImportLimits {
  /** Total bytes of file data. */
  maxBytes: number;
  /** Number of entries. */
  maxEntries: number;
}

function refuse(message: string): never {
  throw new SandboxError('invalid_archive', message);
}

/** The entry's path in canonical form, or a refusal. */
function checkedPath(raw: string): string {
  let path = raw.startsWith('./') ? raw.slice(2) : raw;
  if (path.endsWith('/')) path = path.slice(0, -1);
  if (path === '' || path === '.') refuse(`an entry without a name (${JSON.stringify(raw)})`);
  if (path.startsWith('/')) refuse(`an absolute path: ${JSON.stringify(raw)}`);
  if (path.includes('\0')) refuse('a path with a NUL byte');
  for (const part of path.split('/')) {
    if (part === '..') refuse(`a path with "..": ${JSON.stringify(raw)}`);
    if (part === '' || part === '.') refuse(`a path with an empty or "." component: ${JSON.stringify(raw)}`);
  }
  return path;
}

/** Checks a symlink's target: relative, and not climbing above the layer's top from where it is. */
function checkSymlink(path: string, target: string): void {
  if (target === '' || target.includes('\0')) refuse(`symlink ${path} has an empty target`);
  if (target.startsWith('/')) refuse(`symlink ${path} points to an absolute path (${target})`);
  const resolved = posix.normalize(posix.join(posix.dirname(path), target));
  if (resolved === '..' || resolved.startsWith('../')) refuse(`symlink ${path} leads out of the layer (${target})`);
}

/**
 * Extracts, checks and publishes a layer.
 * @throws SandboxError `invalid_archive` on any bad entry or a different id; nothing is kept
 */
export async function importLayer(repo: LayerRepository, attrs: OverlayAttrs | undefined, claimed: string, tar: NodeJS.ReadableStream, limits: ImportLimits): Promise<StoredLayerInfo> {
  try {
    layerHex(claimed);
  } catch {
    refuse(`${JSON.stringify(claimed)} is not a layer id`);
  }
  const existing = repo.info(claimed);
  if (existing) {
    // Already here (content-addressed): keep what we have, but the archive must still be what it
    // claims to be. An exported layer is its canonical tar, so its bytes hash to its id.
    const hash = createHash('sha256');
    for await (const chunk of tar as AsyncIterable<Uint8Array | string>) hash.update(chunk);
    if (`sha256:${hash.digest('hex')}` !== claimed) refuse(`the archive's bytes for layer ${claimed} do not hash to its id`);
    return existing;
  }
  const { staging, marks } = await extractLayer(repo, attrs, tar, limits, { ownSymlinks: false });
  return repo.commit(staging, attrs, marks, claimed);
}

/**
 * Extracts a layer archive into a new staging directory of `repo`, checking every entry as
 * `importLayer` says; the caller commits it (or removes it).
 * @param options.ownSymlinks the archive is one this store wrote (a journal of its own layer):
 *   symlinks may point anywhere, as a sandbox's own symlinks do (they resolve inside a sandbox)
 * @throws SandboxError `invalid_archive` on any bad entry (nothing is kept)
 */
export async function extractLayer(repo: LayerRepository, attrs: OverlayAttrs | undefined, tar: NodeJS.ReadableStream, limits: ImportLimits, options: { ownSymlinks: boolean }): Promise<{ staging: string; marks: LayerMarks | undefined }> {
  const staging = repo.stagingDir();
  const kinds = new Map<string, 'dir' | 'file' | 'other'>([['', 'dir']]);
  const dirTimes: [string, number, number][] = [];
  const whiteouts: string[] = [];
  const opaque: string[] = [];
  let bytes = 0;
  let entries = 0;
  const at = (path: string) => `${staging}/${path}`;
  try {
    await readTar(tar, async (header: TarHeader, data) => {
      await givingWay();
      entries += 1;
      if (entries > limits.maxEntries) refuse(`more than ${limits.maxEntries} entries`);
      const path = checkedPath(header.path);
      if (kinds.has(path)) refuse(`${path} appears twice`);
      const parent = posix.dirname(path) === '.' ? '' : posix.dirname(path);
      if (kinds.get(parent) !== 'dir') refuse(`${path} comes before its directory, or under something that is not one`);
      const mode = header.mode & 0o1777;
      switch (header.type) {
        case 'dir':
          await mkdir(at(path), { mode: 0o700 });
          kinds.set(path, 'dir');
          dirTimes.push([path, mode, header.mtime]);
          if (header.opaque) {
            if (repo.native) await attrs!.markOpaque(at(path));
            else opaque.push(path);
          }
          return;
        case 'file': {
          bytes += header.size;
          if (bytes > limits.maxBytes) refuse(`more than ${limits.maxBytes} bytes of file data`);
          const handle = await open(at(path), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
          try {
            // An archive cannot say a file is sparse; its zeros are written back as holes.
            const writer = new HoleyWriter(handle);
            await data((chunk) => writer.write(chunk));
            await writer.finish();
            await handle.chmod(mode);
            await handle.utimes(header.mtime, header.mtime);
          } finally {
            await handle.close();
          }
          kinds.set(path, 'file');
          return;
        }
        case 'symlink':
          if (!options.ownSymlinks) checkSymlink(path, header.link);
          await symlink(header.link, at(path));
          await lutimes(at(path), header.mtime, header.mtime);
          kinds.set(path, 'other');
          return;
        case 'hardlink': {
          const target = checkedPath(header.link);
          if (kinds.get(target) !== 'file') refuse(`hard link ${path} does not point to a file earlier in the layer (${header.link})`);
          await link(at(target), at(path));
          kinds.set(path, 'other');
          return;
        }
        case 'chardev':
          if (header.devmajor !== 0 || header.devminor !== 0) refuse(`device ${path} (${header.devmajor}:${header.devminor}) is not a whiteout`);
          if (repo.native) await attrs!.whiteout(at(path));
          else whiteouts.push(path);
          kinds.set(path, 'other');
          return;
        default:
          refuse(`${path} is a ${header.type === 'other' ? 'special file' : header.type}, which layers cannot hold`);
      }
    });
    // Children change their directory's mtime, and a read-only directory would refuse them:
    // directories get their mode and times last, deepest first.
    for (const [path, mode, mtime] of dirTimes.reverse()) {
      await chmod(at(path), mode);
      await utimes(at(path), mtime, mtime);
    }
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    if (err instanceof SandboxError) throw err;
    throw new SandboxError('invalid_archive', `not a valid layer archive: ${(err as Error).message}`);
  }
  return { staging, marks: repo.native ? undefined : { whiteouts, opaque } };
}
