/**
 * The text being built from a page: collapses whitespace the way a browser does, and places line
 * breaks, list markers and indentation only when the next words arrive, so empty elements leave
 * no blank lines behind.
 */

export class TextOutput {
  private readonly parts: string[] = [];
  private length = 0;
  /** Line breaks owed before the next words (0, 1 or 2). */
  private newlines = 0;
  /** A space owed before the next words on the same line. */
  private space = false;
  private atLineStart = true;
  /** Written at the start of the next line with words (a list bullet, a heading's `#`). */
  private pendingMarker: string | undefined;
  /** Spaces before continuation lines (inside a list item). */
  private indent = 0;
  private dropNewline = false;
  private lastChar = '';

  private write(text: string): void {
    if (text === '') return;
    this.parts.push(text);
    this.length += text.length;
    this.lastChar = text[text.length - 1] as string;
  }

  private flushBreaks(): void {
    if (this.length === 0) this.newlines = 0;
    if (this.newlines > 0) {
      // Preformatted text may already have ended its line.
      const owed = this.lastChar === '\n' ? this.newlines - 1 : this.newlines;
      this.write('\n'.repeat(owed));
      this.newlines = 0;
      this.atLineStart = true;
      this.space = false;
    }
  }

  /** Adds running text; runs of whitespace become one space, as in a browser. */
  inline(text: string): void {
    let t = text.replace(/[ \t\n\r\f]+/g, ' ');
    if (t.startsWith(' ')) {
      this.space = true;
      t = t.slice(1);
    }
    if (t === '') return;
    const trailing = t.endsWith(' ');
    if (trailing) t = t.slice(0, -1);
    this.flushBreaks();
    if (this.atLineStart) {
      this.write(this.pendingMarker ?? ' '.repeat(this.indent));
      this.pendingMarker = undefined;
      this.atLineStart = false;
    } else if (this.space) {
      this.write(' ');
    }
    this.write(t.replaceAll('\u00a0', ' '));
    this.space = trailing;
  }

  /** Adds text exactly as written (inside `<pre>`). */
  preformatted(text: string): void {
    let t = text;
    if (this.dropNewline) {
      // The HTML parser ignores a newline right after `<pre>`.
      if (t.startsWith('\r\n')) t = t.slice(2);
      else if (t.startsWith('\n')) t = t.slice(1);
      if (t !== '') this.dropNewline = false;
    }
    if (t === '') return;
    this.flushBreaks();
    if (this.atLineStart && this.pendingMarker !== undefined) {
      this.write(this.pendingMarker);
      this.pendingMarker = undefined;
    }
    this.write(t.replace(/\r\n?/g, '\n'));
    this.atLineStart = this.lastChar === '\n';
    this.space = false;
  }

  /** The next preformatted text starts after its first newline, if it has one there. */
  skipLeadingNewline(): void {
    this.dropNewline = true;
  }

  /** Closes a fence opened with {@link preformatted}. */
  endPreformatted(): void {
    this.dropNewline = false;
    if (this.lastChar !== '\n') this.write('\n');
    this.write('```');
    this.atLineStart = false;
  }

  /** Ends the current block: the next words start after `lines` line breaks (2 = a blank line). */
  block(lines: 1 | 2): void {
    if (this.length === 0) return;
    // A block that opens a list item's first line (`<li><p>`) must not push the bullet down.
    if (this.pendingMarker !== undefined && this.newlines > 0) return;
    this.newlines = Math.max(this.newlines, lines);
    this.space = false;
  }

  /** A `<br>`: one more line break, at most a blank line. */
  lineBreak(): void {
    if (this.length === 0) return;
    this.newlines = Math.min(this.newlines + 1, 2);
    this.space = false;
  }

  /** Text to put before the next words at the start of a line. */
  marker(text: string): void {
    this.pendingMarker = text;
  }

  /** Indentation of continuation lines. */
  setIndent(spaces: number): void {
    this.indent = spaces;
  }

  /** The text, with trailing spaces removed from lines and at most one blank line in a row. */
  toString(): string {
    return this.parts
      .join('')
      .replace(/[ \t]+$/gm, '')
      .replace(/\n{3,}/g, '\n\n')
      .trim();
  }
}
