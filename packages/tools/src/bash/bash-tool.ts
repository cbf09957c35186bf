/**
 * `bash`: a command in the session's persistent shell (spec §5.10). The sandbox owns the shell,
 * its timeouts and the killing of what a command started; this module decides limits and turns
 * the outcome into something a model can act on.
 */

import type { Sandbox } from '@longhand/sandbox';
import { InputError, InputReader } from '../tool-input.js';
import { errorResult, textResult, type ToolResult } from '../tool-result.js';
import { errorMessage } from '../sandbox-failure.js';
import { truncateMiddle } from '../text/truncate.js';

export interface BashOptions {
  /** Timeout when the call gives none. Default 120 000 ms (the reference toolset's). */
  defaultTimeoutMs?: number;
  /** Largest `timeout_ms` honoured; larger requests are lowered to it. Default 600 000 ms. */
  maxTimeoutMs?: number;
  /** Most characters of output returned; the middle of longer output is left out. Default 102 400. */
  maxOutputChars?: number;
  /** Aborting kills the running command (a `user.interrupt`). */
  signal?: AbortSignal;
}

/** The limits used when {@link BashOptions} leaves them out. */
export const BASH_DEFAULTS = Object.freeze({ defaultTimeoutMs: 120_000, maxTimeoutMs: 600_000, maxOutputChars: 100 * 1024 });

export interface BashInput {
  command?: string;
  restart?: boolean;
  timeout_ms?: number;
}

/** Reads and checks a `bash` input. @throws InputError */
export function parseBashInput(raw: unknown): BashInput {
  const input = new InputReader('bash', raw, ['command', 'restart', 'timeout_ms']);
  const command = input.optionalString('command');
  const restart = input.optionalBoolean('restart');
  const timeoutMs = input.optionalInteger('timeout_ms', 1);
  if (command === undefined && !restart) {
    throw new InputError('bash: "command" is required (or pass restart: true to restart the shell)');
  }
  return { command, restart, timeout_ms: timeoutMs };
}

// Colour and cursor escapes are noise to a model and cost tokens.
const ANSI_ESCAPES = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;

/**
 * Runs a `bash` call. A non-zero exit, a timeout and an interrupt are error results that still
 * carry the output; the shell's working directory and exported variables carry over to the next call.
 *
 * @example
 * await bashTool({ command: 'cd src && ls' }, sandbox);
 * await bashTool({ command: 'pwd' }, sandbox); // still in /workspace/src
 */
export async function bashTool(raw: unknown, sandbox: Sandbox, options: BashOptions = {}): Promise<ToolResult> {
  let input: BashInput;
  try {
    input = parseBashInput(raw);
  } catch (err) {
    if (err instanceof InputError) return errorResult(err.message);
    throw err;
  }
  const maxTimeoutMs = options.maxTimeoutMs ?? BASH_DEFAULTS.maxTimeoutMs;
  const timeoutMs = Math.min(input.timeout_ms ?? options.defaultTimeoutMs ?? BASH_DEFAULTS.defaultTimeoutMs, maxTimeoutMs);
  const maxOutputChars = options.maxOutputChars ?? BASH_DEFAULTS.maxOutputChars;

  if (input.restart) {
    try {
      await sandbox.restartShell();
    } catch (err) {
      return errorResult(`bash: could not restart the shell: ${errorMessage(err)}`);
    }
    if (input.command === undefined) return textResult('bash session restarted');
  }
  const command = input.command as string;

  let result;
  try {
    // A byte limit of N keeps at most N characters, so the sandbox's head-and-tail cut (with its
    // own note of what it left out) is normally the only one; ours guards other providers.
    result = await sandbox.shell(command, { timeoutMs, maxOutputBytes: maxOutputChars, signal: options.signal });
  } catch (err) {
    return errorResult(`bash: the command could not run: ${errorMessage(err)}`);
  }

  const cleaned = result.output.replace(ANSI_ESCAPES, '').replace(/\n+$/, '');
  const cut = truncateMiddle(cleaned, maxOutputChars);
  const notes: string[] = [];
  if (result.truncated || cut.truncated) {
    notes.push(
      `[output truncated: only the start and the end of the output are shown (limit ${maxOutputChars} characters). ` +
        'Redirect long output to a file and look at it with grep, head or tail.]',
    );
  }
  if (result.timedOut) {
    notes.push(`[the command timed out after ${timeoutMs} ms and was killed; set timeout_ms (up to ${maxTimeoutMs}) for longer commands, or run it in the background]`);
  } else if (result.interrupted) {
    notes.push('[the command was interrupted and killed]');
  } else if (result.exitCode === null) {
    notes.push('[the shell exited before the command finished; the next command starts a new shell]');
  } else if (result.exitCode !== 0) {
    notes.push(`[exit code ${result.exitCode}]`);
  }
  const text = [cut.text === '' ? '(no output)' : cut.text, ...notes].join('\n');
  const failed = result.timedOut || result.interrupted || result.exitCode !== 0;
  return failed ? errorResult(text) : textResult(text);
}
