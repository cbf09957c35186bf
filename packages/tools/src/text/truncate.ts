/**
 * Cutting text to a size without splitting a character. Limits count UTF-16 code units
 * (JavaScript string length): close enough to bytes for a budget, and cheap.
 */

/** Whether index `i` of `text` falls between the two halves of a surrogate pair. */
function splitsPair(text: string, i: number): boolean {
  if (i <= 0 || i >= text.length) return false;
  const before = text.charCodeAt(i - 1);
  return before >= 0xd800 && before <= 0xdbff;
}

/** The first `max` code units of `text`, one fewer when the cut would split a surrogate pair. */
export function headOf(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = splitsPair(text, max) ? max - 1 : max;
  return text.slice(0, Math.max(0, end));
}

/** The last `max` code units of `text`, one fewer when the cut would split a surrogate pair. */
export function tailOf(text: string, max: number): string {
  if (text.length <= max) return text;
  const start = text.length - max;
  return text.slice(splitsPair(text, start) ? start + 1 : start);
}

/**
 * Keeps the start and the end of `text` within `max` code units and says how much was left out
 * between them. For command output the end usually holds the error, so both halves matter.
 */
export function truncateMiddle(text: string, max: number): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  const head = headOf(text, Math.ceil(max / 2));
  const tail = tailOf(text, Math.floor(max / 2));
  const omitted = text.length - head.length - tail.length;
  return { text: `${head}\n[... ${omitted} characters omitted ...]\n${tail}`, truncated: true };
}

/**
 * Keeps whole lines from the start of `text` while they fit in `max` code units; a first line
 * longer than `max` is cut. Returns how many characters were dropped.
 */
export function truncateLines(text: string, max: number): { text: string; omitted: number } {
  if (text.length <= max) return { text, omitted: 0 };
  const cut = text.lastIndexOf('\n', max);
  const kept = cut > 0 ? text.slice(0, cut) : headOf(text, max);
  return { text: kept, omitted: text.length - kept.length };
}

/** `line` cut to `max` code units with a note of how many characters were dropped. */
export function truncateLine(line: string, max: number): string {
  if (line.length <= max) return line;
  const kept = headOf(line, max);
  return `${kept}… [line truncated: ${line.length - kept.length} more characters]`;
}
