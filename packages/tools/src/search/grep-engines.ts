/**
 * The programs grep runs inside the sandbox. ripgrep is preferred: its regex syntax is what the
 * tool promises, and it skips hidden, ignored and binary files. When the sandbox has no `rg`,
 * GNU grep stands in with Perl-compatible regexes (the closest syntax to ripgrep's it has),
 * skipping hidden and binary files, but not honouring .gitignore.
 *
 * Matching runs in the sandbox rather than in this process on purpose: a pathological pattern
 * then burns the sandbox's CPU until the timeout, not the server's event loop.
 */

import { posix } from 'node:path';
import type { Sandbox } from '@longhand/sandbox';
import type { SearchRoot } from './search-root.js';

export type GrepEngine = 'ripgrep' | 'grep-pcre' | 'grep-extended';

export interface GrepCommand {
  argv: string[];
  cwd: string;
  /** Turns a path as the program prints it into an absolute sandbox path. */
  absolute: (printed: string) => string;
}

const detected = new WeakMap<Sandbox, Promise<GrepEngine>>();

/** Whether a probe exits 0. A sandbox that cannot run anything throws instead of answering no. */
async function succeeds(sandbox: Sandbox, argv: string[], stdin?: string): Promise<boolean> {
  const result = await sandbox.exec(argv, { timeoutMs: 10_000, maxOutputBytes: 4096, stdin });
  return result.exitCode === 0;
}

/** Whether GNU grep in this sandbox was built with `-P`. */
export async function grepHasPcre(sandbox: Sandbox): Promise<boolean> {
  return succeeds(sandbox, ['grep', '-P', '-q', '-e', '\\d', '--', '-'], 'a1\n');
}

/**
 * The best engine the sandbox has, probed once per sandbox (its system files do not change while
 * it lives). @throws what the sandbox throws when it cannot run a probe at all
 */
export function detectGrepEngine(sandbox: Sandbox): Promise<GrepEngine> {
  let engine = detected.get(sandbox);
  if (!engine) {
    engine = (async (): Promise<GrepEngine> => {
      if (await succeeds(sandbox, ['rg', '--version'])) return 'ripgrep';
      return (await grepHasPcre(sandbox)) ? 'grep-pcre' : 'grep-extended';
    })();
    detected.set(sandbox, engine);
    // A probe that failed says nothing about the sandbox's programs: ask again next time.
    engine.catch(() => detected.delete(sandbox));
  }
  return engine;
}

/**
 * The argv that searches `root` for `pattern`. Every engine prints `path NUL line:text` records
 * (`--null`), so a path holding `:` cannot be mistaken for the line number.
 */
export function grepCommand(engine: GrepEngine, pattern: string, root: SearchRoot, maxLineChars: number): GrepCommand {
  if (engine === 'ripgrep') {
    return {
      argv: [
        'rg', '--no-config', '--line-number', '--with-filename', '--no-heading', '--null', '--color', 'never',
        // One thread, but a stable order: the model sees the same answer to the same question.
        '--sort', 'path',
        '--max-columns', String(maxLineChars), '--max-columns-preview',
        '--regexp', pattern, '--', root.path,
      ],
      cwd: root.type === 'directory' ? root.path : posix.dirname(root.path),
      absolute: (printed) => printed,
    };
  }
  const syntax = engine === 'grep-pcre' ? '-P' : '-E';
  // PCRE needs a UTF-8 locale to treat text as characters rather than bytes.
  const base = ['env', 'LC_ALL=C.UTF-8', 'grep', syntax, '--line-number', '--with-filename', '--null', '--color=never', '--binary-files=without-match'];
  if (root.type === 'file') {
    return { argv: [...base, '-e', pattern, '--', root.path], cwd: posix.dirname(root.path), absolute: (printed) => printed };
  }
  // Run from inside the root and search `.`: GNU grep applies --exclude-dir to the directories
  // named on its command line too, so a hidden root given by path would be skipped whole.
  // `.?*` matches hidden names but not `.` itself.
  return {
    argv: [...base, '--recursive', '--exclude=.?*', '--exclude-dir=.?*', '-e', pattern, '--', '.'],
    cwd: root.path,
    absolute: (printed) => (root.path === '/' ? '' : root.path) + printed.slice(1),
  };
}
