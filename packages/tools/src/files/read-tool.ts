/**
 * `read`: a file of the sandbox as numbered lines, or as an image or PDF block (spec §5.10).
 * All file access goes through the sandbox, which refuses paths that lead out of its file roots.
 */

import type { Sandbox } from '@longhand/sandbox';
import { InputError, InputReader } from '../tool-input.js';
import { errorResult, textResult, type ToolResult } from '../tool-result.js';
import { describeFileFailure, errorCode } from '../sandbox-failure.js';
import { decodeForDisplay, looksBinary, sniffMediaType } from '../text/file-content.js';
import { numberLine, splitLines } from '../text/lines.js';

export interface ReadOptions {
  /** Largest text file read at all. Default 10 MiB. */
  maxFileBytes?: number;
  /** Lines shown when no `view_range` is given. Default 2000. */
  maxLines?: number;
  /** Most characters returned; the rest is announced with the range to ask for next. Default 262 144 (the reference's cap). */
  maxOutputChars?: number;
  /** Longer lines are cut and marked. Default 2000. */
  maxLineChars?: number;
  /** Largest image returned (png, jpeg, gif, webp). Default 3.75 MiB, which base64-encodes to 5 MB, the Messages API limit. */
  maxImageBytes?: number;
  /** Largest PDF returned as a document block. Default 10 MiB. */
  maxPdfBytes?: number;
}

/** The limits used when {@link ReadOptions} leaves them out. */
export const READ_DEFAULTS: Readonly<Required<ReadOptions>> = Object.freeze({
  maxFileBytes: 10 * 1024 * 1024,
  maxLines: 2000,
  maxOutputChars: 256 * 1024,
  maxLineChars: 2000,
  maxImageBytes: 3.75 * 1024 * 1024,
  maxPdfBytes: 10 * 1024 * 1024,
});

export interface ReadInput {
  file_path: string;
  view_range?: [number, number];
}

/** Reads and checks a `read` input. @throws InputError */
export function parseReadInput(raw: unknown): ReadInput {
  const input = new InputReader('read', raw, ['file_path', 'view_range']);
  const filePath = input.string('file_path');
  const range = input.optionalIntegerTuple('view_range', 2);
  if (range === undefined) return { file_path: filePath };
  const [start, end] = range as [number, number];
  if (end > 0 && end < start) {
    throw new InputError(`read: view_range [${start}, ${end}] ends before it starts; use [start_line, end_line], or end_line -1 to read to the end`);
  }
  return { file_path: filePath, view_range: [start, end] };
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} bytes`;
}

/**
 * Runs a `read` call. Text comes back as `cat -n` style numbered lines; a `view_range`
 * `[start, end]` selects lines (1-based, inclusive; `end` ≤ 0 reads to the end). Whatever is left
 * out (more lines than the limit, an over-long line) is announced in the result.
 *
 * @example
 * await readTool({ file_path: 'src/app.ts', view_range: [40, 60] }, sandbox);
 */
export async function readTool(raw: unknown, sandbox: Sandbox, options: ReadOptions = {}): Promise<ToolResult> {
  let input: ReadInput;
  try {
    input = parseReadInput(raw);
  } catch (err) {
    if (err instanceof InputError) return errorResult(err.message);
    throw err;
  }
  const limits = { ...READ_DEFAULTS, ...options };
  const path = input.file_path;
  const largest = Math.max(limits.maxFileBytes, limits.maxImageBytes, limits.maxPdfBytes);

  let bytes: Uint8Array;
  try {
    bytes = await sandbox.readFile(path, { maxBytes: largest });
  } catch (err) {
    if (errorCode(err) === 'too_large') {
      return errorResult(
        `read: ${path} is larger than ${formatBytes(largest)}, more than read returns. ` +
          'Look at parts of it with bash instead (head, tail, sed -n \'100,200p\', grep -n).',
      );
    }
    if (errorCode(err) === 'is_directory') {
      return errorResult(`read: ${path} is a directory, not a file; list it with glob or with bash (ls)`);
    }
    return errorResult(describeFileFailure('read', path, err));
  }

  const media = sniffMediaType(bytes);
  if (media === 'application/pdf') {
    if (bytes.length > limits.maxPdfBytes) {
      return errorResult(`read: ${path} is a PDF of ${formatBytes(bytes.length)}, larger than the ${formatBytes(limits.maxPdfBytes)} read returns; extract its text with bash (for example pdftotext) instead`);
    }
    const title = path.split('/').filter(Boolean).pop() ?? path;
    return { content: [{ type: 'document', source: { type: 'base64', media_type: media, data: toBase64(bytes) }, title }], isError: false };
  }
  if (media !== undefined) {
    if (bytes.length > limits.maxImageBytes) {
      return errorResult(`read: ${path} is an image of ${formatBytes(bytes.length)}, larger than the ${formatBytes(limits.maxImageBytes)} read returns; make a smaller copy with bash first`);
    }
    return {
      content: [
        { type: 'text', text: `${path}: ${media.slice('image/'.length)} image, ${formatBytes(bytes.length)}` },
        { type: 'image', source: { type: 'base64', media_type: media, data: toBase64(bytes) } },
      ],
      isError: false,
    };
  }
  if (looksBinary(bytes)) {
    return errorResult(
      `read: ${path} is a binary file (${formatBytes(bytes.length)}); read shows text, images (png, jpeg, gif, webp) and PDFs. ` +
        'Inspect it with bash instead (file, xxd | head, strings).',
    );
  }
  if (bytes.length > limits.maxFileBytes) {
    return errorResult(`read: ${path} is ${formatBytes(bytes.length)}, more than read returns; look at parts of it with bash (head, sed -n, grep -n)`);
  }
  return renderLines(path, decodeForDisplay(bytes), input.view_range, limits);
}

function renderLines(path: string, text: string, range: [number, number] | undefined, limits: Required<ReadOptions>): ToolResult {
  const { lines, crlf } = splitLines(text);
  const total = lines.length;
  if (total === 0) return textResult(`(${path} is empty)`);
  // Line 0 (a habit from 0-based tools) means the start.
  const first = Math.max(1, range?.[0] ?? 1);
  if (first > total) {
    return errorResult(`read: ${path} has ${total} line${total === 1 ? '' : 's'}; view_range starts at line ${first}, past the end`);
  }
  const requestedLast = range && range[1] > 0 ? Math.min(range[1], total) : total;
  // Without a range, a long file is shown in pages; an explicit range is limited only by size.
  const last = range ? requestedLast : Math.min(requestedLast, first + limits.maxLines - 1);

  const out: string[] = [];
  let used = 0;
  let shownLast = first - 1;
  for (let n = first; n <= last; n++) {
    const numbered = numberLine(n, lines[n - 1] as string, limits.maxLineChars);
    if (used + numbered.length + 1 > limits.maxOutputChars && out.length > 0) break;
    out.push(numbered);
    used += numbered.length + 1;
    shownLast = n;
  }
  const notes: string[] = [];
  if (shownLast < requestedLast) {
    const span = Math.max(1, shownLast - first + 1);
    notes.push(
      `[showing lines ${first}-${shownLast} of ${total}; to read more use view_range [${shownLast + 1}, ${Math.min(total, shownLast + span)}]]`,
    );
  }
  if (crlf) notes.push('[this file has CRLF (\\r\\n) line endings; they are not shown above, and edit keeps them]');
  return textResult([...out, ...notes].join('\n'));
}
