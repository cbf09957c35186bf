/**
 * Where a search starts. glob and grep run programs inside the sandbox (`find`, `rg`), which see
 * the read-only system as well as the workspace, so the directory they are pointed at must first
 * be confined the way the file tools are: the sandbox's `stat` refuses paths outside its file
 * roots, and a symbolic link is resolved (inside the sandbox) and its target checked the same way.
 * The programs themselves never follow links, so nothing below the root leads out either.
 */

import { posix } from 'node:path';
import type { Sandbox } from '@longhand/sandbox';
import { describeFileFailure } from '../sandbox-failure.js';

export interface SearchRoot {
  /** Absolute, symlink-free path inside the sandbox's file roots. */
  path: string;
  type: 'file' | 'directory';
}

/** A search root that cannot be used; the message is ready for the model. */
export class SearchRootError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SearchRootError';
  }
}

/** `path` made absolute against `workdir`, `..` and `.` folded. */
export function absoluteIn(workdir: string, path: string): string {
  return posix.resolve(workdir, path);
}

/**
 * Resolves and confines a search root.
 * @throws SearchRootError when it is missing, outside the file roots, or neither a file nor a directory
 */
export async function resolveSearchRoot(tool: string, sandbox: Sandbox, path: string, signal?: AbortSignal): Promise<SearchRoot> {
  let info;
  try {
    info = await sandbox.stat(path);
    if (info?.type === 'symlink') {
      // The port's stat does not follow a final link; realpath inside the sandbox does, and the
      // second stat confines where it leads.
      const real = await sandbox.exec(['realpath', '-e', '--', info.path], { timeoutMs: 10_000, signal });
      const target = new TextDecoder().decode(real.stdout).replace(/\n$/, '');
      info = real.exitCode === 0 && target.startsWith('/') ? await sandbox.stat(target) : undefined;
    }
  } catch (err) {
    throw new SearchRootError(describeFileFailure(tool, path, err));
  }
  if (info === undefined) throw new SearchRootError(`${tool}: ${path}: no such file or directory`);
  if (info.type !== 'file' && info.type !== 'directory') throw new SearchRootError(`${tool}: ${path} is neither a file nor a directory`);
  return { path: info.path, type: info.type };
}
