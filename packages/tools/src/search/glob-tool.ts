/**
 * `glob`: files whose paths match a doublestar pattern, newest first (spec §5.10).
 */

import type { Sandbox } from '@longhand/sandbox';
import { InputError, InputReader } from '../tool-input.js';
import { errorResult, textResult, type ToolResult } from '../tool-result.js';
import { GlobPatternError, compileGlob, patternAscends, splitLiteralPrefix } from './glob-pattern.js';
import { ListFilesError, listFiles } from './list-files.js';
import { SearchRootError, absoluteIn, resolveSearchRoot } from './search-root.js';

export interface GlobOptions {
  /** Most paths returned (the newest). Default 200, the reference's. */
  maxResults?: number;
  /** Bytes of `find` listing examined; a larger tree is searched in part, and the result says so. Default 16 MiB. */
  maxListingBytes?: number;
  /** Time allowed for the walk. Default 60 000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The limits used when {@link GlobOptions} leaves them out. */
export const GLOB_DEFAULTS = Object.freeze({ maxResults: 200, maxListingBytes: 16 * 1024 * 1024, timeoutMs: 60_000 });

/** Directories not walked unless the pattern names them: they are large and rarely what is meant. */
const NOISY_DIRECTORIES = ['.git', 'node_modules'];

export interface GlobInput {
  pattern: string;
  path?: string;
}

/** Reads and checks a `glob` input. @throws InputError */
export function parseGlobInput(raw: unknown): GlobInput {
  const input = new InputReader('glob', raw, ['pattern', 'path']);
  const pattern = input.string('pattern');
  const path = input.optionalString('path');
  if (patternAscends(pattern)) throw new InputError('glob: ".." is not allowed in the pattern; set "path" to search another directory');
  if (pattern.startsWith('/') && path !== undefined) {
    throw new InputError('glob: give either an absolute pattern or a relative pattern with "path", not both');
  }
  return { pattern, path };
}

/**
 * Runs a `glob` call. Only regular files are listed (not directories or symbolic links), as
 * absolute sandbox paths, most recently modified first; `.git` and `node_modules` are skipped
 * unless the pattern names them, and a wildcard does not match a leading dot.
 *
 * @example
 * await globTool({ pattern: 'src/**\/*.test.ts' }, sandbox);
 */
export async function globTool(raw: unknown, sandbox: Sandbox, options: GlobOptions = {}): Promise<ToolResult> {
  let input: GlobInput;
  try {
    input = parseGlobInput(raw);
  } catch (err) {
    if (err instanceof InputError) return errorResult(err.message);
    throw err;
  }
  const limits = { ...GLOB_DEFAULTS, ...options };
  // Start the walk at the literal directories the pattern begins with: `src/**` walks only src.
  const { prefix, rest } = splitLiteralPrefix(input.pattern);
  const base = absoluteIn(absoluteIn(sandbox.workdir, input.path ?? '.'), prefix || '.');
  let matcher: RegExp;
  try {
    matcher = compileGlob(rest);
  } catch (err) {
    if (err instanceof GlobPatternError) return errorResult(`glob: ${err.message}`);
    throw err;
  }

  let listing;
  try {
    const root = await resolveSearchRoot('glob', sandbox, base, options.signal);
    if (root.type !== 'directory') return errorResult(`glob: ${base} is a file, not a directory to search in`);
    const prune = NOISY_DIRECTORIES.filter((name) => !input.pattern.includes(name));
    listing = await listFiles(sandbox, root.path, { prune, maxOutputBytes: limits.maxListingBytes, timeoutMs: limits.timeoutMs, signal: options.signal });
    listing = { ...listing, root: root.path };
  } catch (err) {
    if (err instanceof SearchRootError) return errorResult(err.message);
    if (err instanceof ListFilesError) return errorResult(`glob: ${err.message}`);
    throw err;
  }

  const matches = listing.files.filter((file) => matcher.test(file.path));
  const notes: string[] = [];
  if (!listing.complete) notes.push('[the directory is too large to list in full; only part of it was searched. Narrow "path" or the pattern.]');
  if (matches.length === 0) {
    return textResult([`No files match ${JSON.stringify(input.pattern)} in ${listing.root}`, ...notes].join('\n'));
  }
  matches.sort((a, b) => b.mtimeMs - a.mtimeMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const shown = matches.slice(0, limits.maxResults);
  if (matches.length > shown.length) {
    notes.push(`[${matches.length} files match; showing the ${shown.length} most recently modified. Narrow the pattern or "path" to see the others.]`);
  }
  const prefixPath = listing.root === '/' ? '' : listing.root;
  return textResult([...shown.map((file) => `${prefixPath}/${file.path}`), ...notes].join('\n'));
}
