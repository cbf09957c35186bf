/**
 * Lines of a text file as the read tool shows them: numbered like `cat -n` (the number
 * right-aligned in six columns, a tab, then the line), which models know how to read and strip.
 */

import { truncateLine } from './truncate.js';

export interface SplitText {
  /** The lines without their terminators. A final newline does not start an extra empty line. */
  lines: string[];
  /** Whether any line ended in CRLF (shown without the CR, and worth telling the model). */
  crlf: boolean;
}

/**
 * Splits text into lines on `\n`, dropping a `\r` before it.
 *
 * @example
 * splitLines('a\r\nb\n') // { lines: ['a', 'b'], crlf: true }
 */
export function splitLines(text: string): SplitText {
  if (text === '') return { lines: [], crlf: false };
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let crlf = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    // A CR at the very end of the file with no LF after it is content, not a terminator.
    if (line.endsWith('\r') && (i < lines.length - 1 || text.endsWith('\n'))) {
      lines[i] = line.slice(0, -1);
      crlf = true;
    }
  }
  return { lines, crlf };
}

/** One numbered line: `     7\tconst x = 1;`, with an over-long line cut and marked. */
export function numberLine(lineNumber: number, line: string, maxLineChars: number): string {
  return `${String(lineNumber).padStart(6, ' ')}\t${truncateLine(line, maxLineChars)}`;
}
