/**
 * Listing the regular files under a directory of the sandbox, with their modification times. The
 * port has no directory listing, so GNU `find` runs inside the sandbox (it is part of every Debian
 * system, which the sandbox mounts read-only). `find -P` does not follow symbolic links and opens
 * each directory relative to its parent, so a link inside the workspace that points elsewhere is
 * never walked through, even one swapped in during the walk; the root itself is pinned (see
 * pinned-root.ts).
 */

import type { Sandbox } from '@longhand/sandbox';
import { errorMessage } from '../sandbox-failure.js';
import { pinnedToDirectory } from './pinned-root.js';

export interface ListedFile {
  /** Path relative to the listed directory, `/`-separated. */
  path: string;
  mtimeMs: number;
}

export interface ListFilesOptions {
  /** Directory names not descended into (say `.git`, `node_modules`). */
  prune?: readonly string[];
  /** Bytes of listing kept; a longer listing is cut and `complete` is false. */
  maxOutputBytes: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface FileListing {
  files: ListedFile[];
  /** False when the listing was cut by its size or time limit. */
  complete: boolean;
}

/** A listing that could not be made at all. */
export class ListFilesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListFilesError';
  }
}

/**
 * Lists regular files below `root` (an absolute, already confined directory).
 * @throws ListFilesError when `find` cannot run
 */
export async function listFiles(sandbox: Sandbox, root: string, options: ListFilesOptions): Promise<FileListing> {
  const prune = options.prune ?? [];
  const pruneArgs = prune.length === 0 ? [] : ['(', ...prune.flatMap((name, i) => (i === 0 ? ['-name', name] : ['-o', '-name', name])), ')', '-prune', '-o'];
  // NUL-separated records: a file name may contain a newline.
  const argv = pinnedToDirectory(root, ['find', '-P', '.', '-mindepth', '1', ...pruneArgs, '-type', 'f', '-printf', '%T@\\t%P\\0']);
  let result;
  try {
    result = await sandbox.exec(argv, { cwd: sandbox.workdir, timeoutMs: options.timeoutMs, maxOutputBytes: options.maxOutputBytes, signal: options.signal });
  } catch (err) {
    throw new ListFilesError(`could not list files: ${errorMessage(err)}`);
  }
  const text = new TextDecoder().decode(result.stdout);
  if (result.exitCode === null && !result.timedOut && !result.truncated) {
    throw new ListFilesError(result.interrupted ? 'interrupted' : 'could not list files');
  }
  // Exit status 1 with output means some subdirectory was unreadable; the rest is still valid.
  if (result.exitCode !== 0 && result.exitCode !== null && text === '') {
    throw new ListFilesError(`could not list files: ${new TextDecoder().decode(result.stderr).trim() || `find exited with ${result.exitCode}`}`);
  }
  const records = text.split('\0');
  // The last record is either empty (after the final NUL) or cut off by a limit: drop it either way.
  records.pop();
  const files: ListedFile[] = [];
  for (const record of records) {
    const tab = record.indexOf('\t');
    if (tab < 0) continue;
    files.push({ path: record.slice(tab + 1), mtimeMs: Number.parseFloat(record.slice(0, tab)) * 1000 });
  }
  return { files, complete: !result.truncated && !result.timedOut };
}
