/**
 * The programs grep runs inside the sandbox. Which one depends on what is searched:
 *
 * - a directory is walked by GNU grep (`-r`, Perl-compatible regexes, the closest syntax to
 *   ripgrep's it has), skipping hidden and binary files. Its walk is race-free: fts opens every
 *   directory and file relative to the one above it without following links, so a process in the
 *   sandbox swapping a subdirectory for a link mid-walk cannot lead it out of the file roots.
 *   ripgrep's walk reopens what it listed by path and can be led out that way; that is why it is
 *   not used for directories, at the price of not honouring .gitignore; node_modules directories
 *   are skipped instead (see docs/decisions/2026-11-23-grep-walks-with-gnu-grep.md).
 * - a single file is searched by ripgrep when the sandbox has it (the file is pinned open on a
 *   descriptor, so there is no walk to race), else by GNU grep.
 *
 * Matching runs in the sandbox rather than in this process on purpose: a pathological pattern
 * then burns the sandbox's CPU until the timeout, not the server's event loop.
 */

import type { Sandbox } from '@longhand/sandbox';
import { PINNED_FILE, pinnedToDirectory, pinnedToFile } from './pinned-root.js';
import type { SearchRoot } from './search-root.js';

export type GrepEngine = 'ripgrep' | 'grep-pcre' | 'grep-extended';

export interface GrepCommand {
  /** The search, pinned to its root (see pinned-root.ts): run it from any directory. */
  argv: string[];
  /** Turns a path as the program prints it into an absolute sandbox path. */
  absolute: (printed: string) => string;
}

const detected = new WeakMap<Sandbox, Promise<GrepPrograms>>();

/** Whether a probe exits 0. A sandbox that cannot run anything throws instead of answering no. */
async function succeeds(sandbox: Sandbox, argv: string[], stdin?: string): Promise<boolean> {
  const result = await sandbox.exec(argv, { timeoutMs: 10_000, maxOutputBytes: 4096, stdin });
  return result.exitCode === 0;
}

/** Whether GNU grep in this sandbox was built with `-P`. */
export async function grepHasPcre(sandbox: Sandbox): Promise<boolean> {
  return succeeds(sandbox, ['grep', '-P', '-q', '-e', '\\d', '--', '-'], 'a1\n');
}

export interface GrepPrograms {
  ripgrep: boolean;
  /** GNU grep built with `-P`. */
  pcre: boolean;
}

/**
 * The search programs the sandbox has, probed once per sandbox (its system files do not change
 * while it lives). @throws what the sandbox throws when it cannot run a probe at all
 */
export function detectGrepPrograms(sandbox: Sandbox): Promise<GrepPrograms> {
  let programs = detected.get(sandbox);
  if (!programs) {
    programs = (async (): Promise<GrepPrograms> => ({
      ripgrep: await succeeds(sandbox, ['rg', '--version']),
      pcre: await grepHasPcre(sandbox),
    }))();
    detected.set(sandbox, programs);
    // A probe that failed says nothing about the sandbox's programs: ask again next time.
    programs.catch(() => detected.delete(sandbox));
  }
  return programs;
}

/** The engine for a search of one file or of a directory tree, given the programs there are. */
export function chooseGrepEngine(programs: GrepPrograms, root: SearchRoot['type']): GrepEngine {
  if (root === 'file' && programs.ripgrep) return 'ripgrep';
  return programs.pcre ? 'grep-pcre' : 'grep-extended';
}

/**
 * The argv that searches `root` for `pattern`. Every engine prints `path NUL line:text` records
 * (`--null`), so a path holding `:` cannot be mistaken for the line number. The program never gets
 * the root's path: it searches the directory it was started in (`.`) or the file held open on
 * descriptor 3, both pinned to the confined root.
 *
 * ripgrep on a directory (only when asked for by name, never chosen by `auto`) walks below the
 * root by path, so a subdirectory swapped for a symbolic link between its listing and its reading
 * is followed; see the header.
 */
export function grepCommand(engine: GrepEngine, pattern: string, root: SearchRoot, maxLineChars: number): GrepCommand {
  const file = root.type === 'file';
  const target = file ? PINNED_FILE : '.';
  const pin = (program: string[]): string[] => (file ? pinnedToFile(root.path, program) : pinnedToDirectory(root.path, program));
  // Printed paths are `./sub/name` below a directory, or the descriptor's path for a file.
  const absolute = (printed: string): string => (file ? root.path : (root.path === '/' ? '' : root.path) + printed.slice(1));
  if (engine === 'ripgrep') {
    return {
      argv: pin([
        'rg', '--no-config', '--line-number', '--with-filename', '--no-heading', '--null', '--color', 'never',
        // One thread, but a stable order: the model sees the same answer to the same question.
        '--sort', 'path',
        '--max-columns', String(maxLineChars), '--max-columns-preview',
        '--regexp', pattern, '--', target,
      ]),
      absolute,
    };
  }
  const syntax = engine === 'grep-pcre' ? '-P' : '-E';
  // PCRE needs a UTF-8 locale to treat text as characters rather than bytes.
  const base = ['env', 'LC_ALL=C.UTF-8', 'grep', syntax, '--line-number', '--with-filename', '--null', '--color=never', '--binary-files=without-match'];
  if (file) return { argv: pin([...base, '-e', pattern, '--', target]), absolute };
  // Search `.`: GNU grep applies --exclude-dir to the directories named on its command line too,
  // so a hidden root given by path would be skipped whole. `.?*` matches hidden names but not `.`.
  // node_modules stands in for the .gitignore this walk does not read: it is nearly always there.
  const skip = ['--exclude=.?*', '--exclude-dir=.?*', '--exclude-dir=node_modules'];
  return { argv: pin([...base, '--recursive', ...skip, '-e', pattern, '--', '.']), absolute };
}
