import type { Style } from './style.js';

function inline(text: string, style: Style): string {
  return text
    .replace(/`([^`]+)`/g, (_m, code: string) => style.cyan(code))
    .replace(/\*\*([^*]+)\*\*/g, (_m, bold: string) => style.bold(bold))
    .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, (_m, before: string, it: string) => `${before}${style.italic(it)}`)
    .replace(/\[([^\]]+)\]\(([^)]+)\)/g, (_m, label: string, url: string) => `${label} ${style.dim(`(${url})`)}`);
}

/**
 * Renders markdown for a terminal, line by line, so text can be shown while it streams in:
 * headings bold, code blocks dimmed and indented, inline code cyan, emphasis, bullets, quotes
 * and links kept readable. Feed text with `push`; complete lines come back rendered.
 */
export class MarkdownStream {
  private fence: string | undefined;
  private partial = '';

  constructor(private readonly style: Style) {}

  /** Adds text; returns the rendered lines it completed (each ending with a newline). */
  push(text: string): string {
    this.partial += text;
    const lines = this.partial.split('\n');
    this.partial = lines.pop() ?? '';
    return lines.map((line) => `${this.line(line)}\n`).join('');
  }

  /** Renders whatever is left of the last line. */
  end(): string {
    const rest = this.partial;
    this.partial = '';
    this.fence = undefined;
    return rest === '' ? '' : `${this.line(rest)}\n`;
  }

  private line(line: string): string {
    const { style } = this;
    const fenceMatch = /^\s*(```+|~~~+)/.exec(line);
    if (fenceMatch) {
      if (this.fence === undefined) this.fence = fenceMatch[1];
      else if (line.trim().startsWith(this.fence)) this.fence = undefined;
      return style.dim(line);
    }
    if (this.fence !== undefined) return style.dim(`  ${line}`);
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) return style.bold(inline(heading[2]!, style));
    const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
    if (bullet) return `${bullet[1]}• ${inline(bullet[2]!, style)}`;
    if (/^>\s?/.test(line)) return style.dim(`│ ${inline(line.replace(/^>\s?/, ''), style)}`);
    return inline(line, style);
  }
}

/** Renders a whole markdown text at once. */
export function renderMarkdown(text: string, style: Style): string {
  const stream = new MarkdownStream(style);
  return (stream.push(text) + stream.end()).replace(/\n$/, '');
}
