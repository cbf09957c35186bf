/**
 * `edit`: an exact string replacement in a file of the sandbox (spec §5.10). The file is read,
 * changed in memory and written back whole through the sandbox port.
 */

import type { Sandbox } from '@longhand/sandbox';
import { InputError, InputReader } from '../tool-input.js';
import { errorResult, textResult, type ToolResult } from '../tool-result.js';
import { describeFileFailure, errorCode } from '../sandbox-failure.js';
import { decodeExactly } from '../text/file-content.js';
import { numberLine, splitLines } from '../text/lines.js';

export interface EditOptions {
  /** Largest file edited. Default 10 MiB. */
  maxFileBytes?: number;
  /** Longer lines in the excerpt of the result are cut. Default 2000. */
  maxLineChars?: number;
}

/** The limits used when {@link EditOptions} leaves them out. */
export const EDIT_DEFAULTS = Object.freeze({ maxFileBytes: 10 * 1024 * 1024, maxLineChars: 2000 });

/** Lines of context shown around the change, so the model can check it without reading again. */
const EXCERPT_CONTEXT = 3;
const EXCERPT_MAX_LINES = 30;

export interface EditInput {
  file_path: string;
  old_string: string;
  new_string: string;
  replace_all?: boolean;
}

/** Reads and checks an `edit` input. @throws InputError */
export function parseEditInput(raw: unknown): EditInput {
  const input = new InputReader('edit', raw, ['file_path', 'old_string', 'new_string', 'replace_all']);
  const filePath = input.string('file_path');
  const oldString = input.string('old_string', { allowEmpty: true });
  const newString = input.string('new_string', { allowEmpty: true });
  const replaceAll = input.optionalBoolean('replace_all');
  if (oldString === '') throw new InputError('edit: "old_string" must not be empty; to create or overwrite a whole file use write');
  if (oldString === newString) throw new InputError('edit: "old_string" and "new_string" are identical, so there is nothing to change');
  return { file_path: filePath, old_string: oldString, new_string: newString, replace_all: replaceAll };
}

function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}

/**
 * The strings to look for and put in. A model writes `\n` even when the file uses CRLF; when the
 * text as given is absent from a CRLF file, its line breaks are matched and written as CRLF.
 */
function matchLineEndings(text: string, input: EditInput): { find: string; put: string; count: number } {
  const count = countOccurrences(text, input.old_string);
  if (count > 0 || !text.includes('\r\n') || !input.old_string.includes('\n') || input.old_string.includes('\r')) {
    return { find: input.old_string, put: input.new_string, count };
  }
  const find = input.old_string.replaceAll('\n', '\r\n');
  const put = input.new_string.replace(/\r?\n/g, '\r\n');
  return { find, put, count: countOccurrences(text, find) };
}

/** Numbered lines around `[start, start + length)` of `text`, to show what the file now says. */
function excerpt(text: string, start: number, length: number, maxLineChars: number): string {
  const firstLine = text.slice(0, start).split('\n').length;
  const changedLines = text.slice(start, start + length).split('\n').length;
  const { lines } = splitLines(text);
  const from = Math.max(1, firstLine - EXCERPT_CONTEXT);
  const to = Math.min(lines.length, firstLine + changedLines - 1 + EXCERPT_CONTEXT, from + EXCERPT_MAX_LINES - 1);
  const out: string[] = [];
  for (let n = from; n <= to; n++) out.push(numberLine(n, lines[n - 1] ?? '', maxLineChars));
  return out.join('\n');
}

/**
 * Runs an `edit` call. `old_string` must occur exactly once unless `replace_all` is set; when it
 * is missing or ambiguous nothing is written and the result says how to fix the call. The file
 * must be UTF-8 text: its other bytes, a BOM and its line endings are kept as they are.
 *
 * @example
 * await editTool({ file_path: 'a.ts', old_string: 'let x = 1', new_string: 'const x = 1' }, sandbox);
 */
export async function editTool(raw: unknown, sandbox: Sandbox, options: EditOptions = {}): Promise<ToolResult> {
  let input: EditInput;
  try {
    input = parseEditInput(raw);
  } catch (err) {
    if (err instanceof InputError) return errorResult(err.message);
    throw err;
  }
  const limits = { ...EDIT_DEFAULTS, ...options };
  const path = input.file_path;

  let bytes: Uint8Array;
  try {
    bytes = await sandbox.readFile(path, { maxBytes: limits.maxFileBytes });
  } catch (err) {
    if (errorCode(err) === 'too_large') {
      return errorResult(`edit: ${path} is larger than ${limits.maxFileBytes} bytes, more than edit changes; use bash (sed -i) for a file this large`);
    }
    if (errorCode(err) === 'not_found') {
      return errorResult(`edit: ${path}: no such file or directory; to create a file use write`);
    }
    return errorResult(describeFileFailure('edit', path, err));
  }
  const text = bytes.includes(0) ? undefined : decodeExactly(bytes);
  if (text === undefined) {
    return errorResult(`edit: ${path} is not UTF-8 text, and editing it as text would corrupt it; use bash instead`);
  }

  const { find, put, count } = matchLineEndings(text, input);
  if (count === 0) {
    return errorResult(
      `edit: old_string was not found in ${path}. It must match the file exactly, including whitespace and indentation ` +
        '(without the line numbers read shows); read the file again to copy the current text.',
    );
  }
  if (count > 1 && !input.replace_all) {
    return errorResult(
      `edit: old_string occurs ${count} times in ${path}, so it is ambiguous. ` +
        `Include more surrounding lines to make it unique, or set replace_all: true to replace all ${count}.`,
    );
  }
  const first = text.indexOf(find);
  const updated = input.replace_all ? text.split(find).join(put) : text.slice(0, first) + put + text.slice(first + find.length);

  try {
    await sandbox.writeFile(path, new TextEncoder().encode(updated));
  } catch (err) {
    return errorResult(describeFileFailure('edit', path, err));
  }
  const replaced = input.replace_all ? count : 1;
  const summary = `edited ${path}: replaced ${replaced} occurrence${replaced === 1 ? '' : 's'}`;
  return textResult(`${summary}. The file now reads:\n${excerpt(updated, first, put.length, limits.maxLineChars)}`);
}
