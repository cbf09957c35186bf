/**
 * `grep`: lines of files matching a regular expression, with ripgrep semantics (spec §5.10).
 */

import type { Sandbox } from '@longhand/sandbox';
import { InputError, InputReader } from '../tool-input.js';
import { errorResult, textResult, type ToolResult } from '../tool-result.js';
import { errorMessage } from '../sandbox-failure.js';
import { truncateLine } from '../text/truncate.js';
import { chooseGrepEngine, detectGrepPrograms, grepCommand, type GrepEngine } from './grep-engines.js';
import { SearchRootError, absoluteIn, resolveSearchRoot } from './search-root.js';

export interface GrepOptions {
  /**
   * `auto` (default): GNU grep walks directories (its walk cannot be led out of the file roots),
   * ripgrep searches single files when the sandbox has it. Naming `ripgrep` also uses it for
   * directories: .gitignore is honoured, but its walk can be raced (see grep-engines.ts).
   */
  engine?: 'auto' | GrepEngine;
  /** Most characters of matches returned. Default 102 400 (the reference's). */
  maxOutputChars?: number;
  /** Longer matching lines are cut. Default 2000 (the reference's). */
  maxLineChars?: number;
  /** Time allowed for the search. Default 60 000 ms (the reference's). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The settings used when {@link GrepOptions} leaves them out. */
export const GREP_DEFAULTS = Object.freeze({ engine: 'auto' as 'auto' | GrepEngine, maxOutputChars: 100 * 1024, maxLineChars: 2000, timeoutMs: 60_000 });

export interface GrepInput {
  pattern: string;
  path?: string;
}

/** Reads and checks a `grep` input. @throws InputError */
export function parseGrepInput(raw: unknown): GrepInput {
  const input = new InputReader('grep', raw, ['pattern', 'path']);
  return { pattern: input.string('pattern'), path: input.optionalString('path') };
}

interface Match {
  path: string;
  /** `12:text of the line`, or a message of the engine about the file (`binary file matches`). */
  rest: string;
}

/** Parses `path NUL line:text` records; lines without a NUL are the engine's notes about a file. */
function parseRecords(stdout: string, complete: boolean): Match[] {
  const lines = stdout.split('\n');
  // A cut output ends in a partial record; a complete one ends in an empty string after the last newline.
  lines.pop();
  if (!complete && lines.length > 0 && !stdout.endsWith('\n')) lines.pop();
  const out: Match[] = [];
  for (const line of lines) {
    const nul = line.indexOf('\0');
    if (nul >= 0) out.push({ path: line.slice(0, nul), rest: line.slice(nul + 1) });
    else if (line !== '') out.push({ path: '', rest: line });
  }
  return out;
}

function formatMatch(match: Match, absolute: (printed: string) => string, maxLineChars: number): string {
  if (match.path === '') return match.rest;
  const numbered = /^(\d+):([^]*)$/.exec(match.rest);
  if (!numbered) return `${absolute(match.path)}: ${match.rest}`;
  const text = (numbered[2] as string).replace(/\r$/, '');
  return `${absolute(match.path)}:${numbered[1]}:${truncateLine(text, maxLineChars)}`;
}

/** The first lines of the engine's complaint: enough to see why, not a wall of text. */
function firstLines(text: string, count = 12): string {
  return text.trim().split('\n').slice(0, count).join('\n');
}

/**
 * Runs a `grep` call: `path:line:text` for each matching line, files in path order. Hidden and
 * binary files are skipped while walking, as ripgrep does.
 *
 * @example
 * await grepTool({ pattern: 'fn\\s+main', path: 'src' }, sandbox);
 */
export async function grepTool(raw: unknown, sandbox: Sandbox, options: GrepOptions = {}): Promise<ToolResult> {
  let input: GrepInput;
  try {
    input = parseGrepInput(raw);
  } catch (err) {
    if (err instanceof InputError) return errorResult(err.message);
    throw err;
  }
  const limits = { ...GREP_DEFAULTS, ...options };
  const where = absoluteIn(sandbox.workdir, input.path ?? '.');

  let root;
  let engine: GrepEngine;
  let command;
  let result;
  try {
    root = await resolveSearchRoot('grep', sandbox, where, options.signal);
    engine = limits.engine === 'auto' ? chooseGrepEngine(await detectGrepPrograms(sandbox), root.type) : limits.engine;
    command = grepCommand(engine, input.pattern, root, limits.maxLineChars);
    // Twice what is shown, so "there was more" can be told apart from "that was all".
    result = await sandbox.exec(command.argv, {
      cwd: sandbox.workdir,
      timeoutMs: limits.timeoutMs,
      maxOutputBytes: limits.maxOutputChars * 2,
      signal: options.signal,
    });
  } catch (err) {
    if (err instanceof SearchRootError) return errorResult(err.message);
    return errorResult(`grep: the search could not run: ${errorMessage(err)}`);
  }
  if (result.interrupted) return errorResult('grep: the search was interrupted');

  const stdout = new TextDecoder().decode(result.stdout);
  const stderr = new TextDecoder().decode(result.stderr);
  const complete = !result.truncated && !result.timedOut;
  const matches = parseRecords(stdout, complete);
  if (matches.length === 0) {
    if (result.timedOut) return errorResult(`grep: the search timed out after ${limits.timeoutMs} ms; narrow "path" or the pattern`);
    if (result.exitCode === 1 || (result.exitCode === 0 && stderr.trim() === '')) {
      return textResult(`No matches for ${JSON.stringify(input.pattern)} in ${root.path}`);
    }
    return errorResult(`grep: ${firstLines(stderr) || `the search failed with exit code ${result.exitCode}`}`);
  }
  if (engine !== 'ripgrep') {
    // GNU grep walks directories in the order the file system returns them; sort like ripgrep.
    matches.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  const out: string[] = [];
  let used = 0;
  for (const match of matches) {
    const line = formatMatch(match, command.absolute, limits.maxLineChars);
    if (used + line.length + 1 > limits.maxOutputChars && out.length > 0) break;
    out.push(line);
    used += line.length + 1;
  }
  const notes: string[] = [];
  if (out.length < matches.length || result.truncated) {
    const total = complete ? `${matches.length}` : `more than ${matches.length}`;
    notes.push(`[output truncated: showing ${out.length} of ${total} matching lines (limit ${limits.maxOutputChars} characters). Narrow the pattern or "path".]`);
  }
  if (result.timedOut) notes.push(`[the search timed out after ${limits.timeoutMs} ms; the matches above are incomplete]`);
  if (result.exitCode === 2 && stderr.trim() !== '') notes.push(`[some files could not be searched: ${firstLines(stderr, 3)}]`);
  return textResult([...out, ...notes].join('\n'));
}
