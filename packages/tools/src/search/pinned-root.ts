/**
 * Running a search program on a confined root without giving a running agent the chance to swap
 * it. `resolveSearchRoot` confines a path at one instant; a program handed that path opens it
 * again by name later, and a process in the sandbox can replace the directory (or file) with a
 * symbolic link to anywhere in between. So the program is not handed the path: a small shell
 * wrapper opens the root first (entering the directory, or opening the file on descriptor 3),
 * checks that what it holds is physically the confined path, and only then runs the program on
 * what it holds (`.`, or `/proc/self/fd/3`), which no later rename can redirect.
 *
 * Below the root, the programs' own walks must not follow links either: GNU `find -P` and GNU
 * `grep -r` open every directory and file relative to the one above it, without following
 * links (fts with O_NOFOLLOW); see the grep engines for ripgrep.
 */

/** Exit status of the wrapper when the root is not (or no longer) the confined path. */
export const ROOT_MOVED_EXIT = 125;

/** The sentence the wrapper prints on its standard error when it refuses. */
export const ROOT_MOVED_MESSAGE = 'changed while it was being searched (it is no longer the directory or file that was checked); try again';

// $1: the confined, symlink-free absolute path; the rest: the program and its arguments.
const ENTER_DIRECTORY = `cd -P -- "$1" 2>/dev/null && [ "$(pwd -P)" = "$1" ] || { echo "$1 ${ROOT_MOVED_MESSAGE}" >&2; exit ${ROOT_MOVED_EXIT}; }; shift; exec "$@"`;
// `readlink` runs in a child that inherits descriptor 3: /proc/self/fd/3 there is the open file.
// The test before the open keeps a FIFO or a link from being opened in the common case.
const OPEN_FILE = `{ [ -f "$1" ] && [ ! -L "$1" ] && exec 3< "$1" && [ "$(readlink /proc/self/fd/3)" = "$1" ]; } 2>/dev/null || { echo "$1 ${ROOT_MOVED_MESSAGE}" >&2; exit ${ROOT_MOVED_EXIT}; }; shift; exec "$@"`;

/** Where a pinned program finds a pinned file root. */
export const PINNED_FILE = '/proc/self/fd/3';

/**
 * The argv that runs `program` inside directory `root` (the program must search `.`) only if
 * the directory entered is physically `root`.
 * @example pinnedToDirectory('/workspace/src', ['find', '-P', '.', '-type', 'f'])
 */
export function pinnedToDirectory(root: string, program: readonly string[]): string[] {
  return ['/bin/sh', '-c', ENTER_DIRECTORY, 'longhand-search', root, ...program];
}

/**
 * The argv that runs `program` with regular file `root` open on descriptor 3 (the program must
 * read {@link PINNED_FILE}) only if the file opened is physically `root`.
 */
export function pinnedToFile(root: string, program: readonly string[]): string[] {
  return ['/bin/sh', '-c', OPEN_FILE, 'longhand-search', root, ...program];
}
