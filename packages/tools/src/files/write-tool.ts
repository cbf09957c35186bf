/**
 * `write`: replaces a whole file of the sandbox, creating its parent directories (spec §5.10).
 */

import type { Sandbox } from '@longhand/sandbox';
import { InputError, InputReader } from '../tool-input.js';
import { errorResult, textResult, type ToolResult } from '../tool-result.js';
import { describeFileFailure } from '../sandbox-failure.js';

export interface WriteInput {
  file_path: string;
  content: string;
}

/** Reads and checks a `write` input. @throws InputError */
export function parseWriteInput(raw: unknown): WriteInput {
  const input = new InputReader('write', raw, ['file_path', 'content']);
  return { file_path: input.string('file_path'), content: input.string('content', { allowEmpty: true }) };
}

/**
 * Runs a `write` call: the file holds exactly `content` (UTF-8) afterwards. Writing through a
 * symbolic link or `..` that leads out of the workspace fails, and so does writing over a directory.
 */
export async function writeTool(raw: unknown, sandbox: Sandbox): Promise<ToolResult> {
  let input: WriteInput;
  try {
    input = parseWriteInput(raw);
  } catch (err) {
    if (err instanceof InputError) return errorResult(err.message);
    throw err;
  }
  const bytes = new TextEncoder().encode(input.content);
  try {
    await sandbox.writeFile(input.file_path, bytes);
  } catch (err) {
    return errorResult(describeFileFailure('write', input.file_path, err));
  }
  return textResult(`wrote ${bytes.length} bytes to ${input.file_path}`);
}
