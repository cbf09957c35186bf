/**
 * A small Markdown parser for agent and user messages. It produces a tree of plain data that
 * `markdown-view.tsx` turns into React elements, so no text is ever parsed as HTML: a `<script>`
 * in a message is shown as text. Links keep only `http:`, `https:` and `mailto:` targets.
 *
 * Covered: paragraphs with line breaks, ATX headings, fenced code, block quotes, ordered and
 * unordered (nested) lists, thematic breaks, GFM tables, `code`, **strong**, *emphasis*,
 * ~~strike~~, [links](https://…), bare URLs and backslash escapes.
 */
export type Inline =
  | { t: 'text'; v: string }
  | { t: 'code'; v: string }
  | { t: 'strong' | 'em' | 'del'; c: Inline[] }
  | { t: 'link'; href: string; c: Inline[] }
  | { t: 'br' };

export type Align = 'left' | 'right' | 'center' | null;

export type Block =
  | { t: 'p'; c: Inline[] }
  | { t: 'h'; level: number; c: Inline[] }
  | { t: 'code'; lang: string; v: string }
  | { t: 'list'; ordered: boolean; start: number; items: Block[][] }
  | { t: 'quote'; c: Block[] }
  | { t: 'hr' }
  | { t: 'table'; align: Align[]; head: Inline[][]; rows: Inline[][][] };

/** Nesting deeper than this is shown as text: enough for real messages, safe from hostile ones. */
const MAX_DEPTH = 8;
/** Longer texts are shown as one plain paragraph rather than parsed (keeps parsing linear). */
export const MAX_MARKDOWN_CHARS = 200_000;

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const ITEM = /^( {0,12})([-*+]|\d{1,9}[.)])(?:\s+(.*))?$/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

/** Keeps safe link targets, drops the rest (`javascript:`, `data:` and anything unknown). */
export function safeHref(href: string): string | undefined {
  const trimmed = href.trim();
  if (/^(https?:|mailto:)/i.test(trimmed)) return trimmed;
  if (/^[/#]/.test(trimmed) && !trimmed.startsWith('//')) return trimmed;
  return undefined;
}

function startsBlock(line: string): boolean {
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || ITEM.test(line);
}

function splitRow(line: string): string[] {
  let text = line.trim();
  if (text.startsWith('|')) text = text.slice(1);
  if (text.endsWith('|') && !text.endsWith('\\|')) text = text.slice(0, -1);
  const cells: string[] = [];
  let cell = '';
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === '\\' && text[i + 1] === '|') {
      cell += '|';
      i += 1;
    } else if (text[i] === '|') {
      cells.push(cell.trim());
      cell = '';
    } else cell += text[i];
  }
  cells.push(cell.trim());
  return cells;
}

function alignOf(cell: string): Align {
  const left = cell.startsWith(':');
  const right = cell.endsWith(':');
  return left && right ? 'center' : right ? 'right' : left ? 'left' : null;
}

/** Parses a whole message into blocks. */
export function parseMarkdown(text: string, depth = 0): Block[] {
  if (text.length > MAX_MARKDOWN_CHARS || depth > MAX_DEPTH) return [{ t: 'p', c: [{ t: 'text', v: text }] }];
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '') {
      i += 1;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1]!;
      const body: string[] = [];
      i += 1;
      while (i < lines.length && !new RegExp(`^ {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`).test(lines[i]!)) body.push(lines[i++]!);
      i += 1;
      blocks.push({ t: 'code', lang: fence[2] ?? '', v: body.join('\n') });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push({ t: 'h', level: heading[1]!.length, c: parseInline(heading[2] ?? '', depth) });
      i += 1;
      continue;
    }
    if (RULE.test(line)) {
      blocks.push({ t: 'hr' });
      i += 1;
      continue;
    }
    if (QUOTE.test(line)) {
      const body: string[] = [];
      while (i < lines.length && lines[i]!.trim() !== '') {
        const quoted = QUOTE.exec(lines[i]!);
        body.push(quoted ? quoted[1]! : lines[i]!);
        i += 1;
      }
      blocks.push({ t: 'quote', c: parseMarkdown(body.join('\n'), depth + 1) });
      continue;
    }
    const item = ITEM.exec(line);
    if (item) {
      const parsed = parseList(lines, i, depth);
      blocks.push(parsed.block);
      i = parsed.next;
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && TABLE_SEPARATOR.test(lines[i + 1]!) && lines[i + 1]!.includes('-')) {
      const head = splitRow(line);
      const align = splitRow(lines[i + 1]!).map(alignOf);
      const rows: Inline[][][] = [];
      i += 2;
      while (i < lines.length && lines[i]!.trim() !== '' && lines[i]!.includes('|')) {
        const cells = splitRow(lines[i]!);
        rows.push(head.map((_, column) => parseInline(cells[column] ?? '', depth)));
        i += 1;
      }
      blocks.push({ t: 'table', align: head.map((_, column) => align[column] ?? null), head: head.map((cell) => parseInline(cell, depth)), rows });
      continue;
    }
    const paragraph: string[] = [line.trim()];
    i += 1;
    while (i < lines.length && lines[i]!.trim() !== '' && !startsBlock(lines[i]!)) paragraph.push(lines[i++]!.trim());
    blocks.push({ t: 'p', c: parseInline(paragraph.join('\n'), depth) });
  }
  return blocks;
}

function parseList(lines: string[], from: number, depth: number): { block: Block; next: number } {
  const first = ITEM.exec(lines[from]!)!;
  const indent = first[1]!.length;
  const ordered = /\d/.test(first[2]!);
  const start = ordered ? Number.parseInt(first[2]!, 10) : 1;
  const items: string[][] = [];
  let contentIndent = indent + first[2]!.length + 1;
  let i = from;
  let blank = false;
  while (i < lines.length) {
    const line = lines[i]!;
    const item = ITEM.exec(line);
    if (item && item[1]!.length === indent && /\d/.test(item[2]!) === ordered) {
      items.push([item[3] ?? '']);
      contentIndent = indent + item[2]!.length + 1;
      blank = false;
      i += 1;
      continue;
    }
    if (line.trim() === '') {
      blank = true;
      i += 1;
      continue;
    }
    const current = items[items.length - 1]!;
    const leading = line.length - line.trimStart().length;
    // Indented lines belong to the current item (nested lists, continued paragraphs).
    if (leading > indent) {
      if (blank) current.push('');
      current.push(line.slice(Math.min(leading, contentIndent)));
      blank = false;
      i += 1;
      continue;
    }
    // A lazy continuation line of the item's paragraph.
    if (!blank && !startsBlock(line)) {
      current.push(line.trim());
      i += 1;
      continue;
    }
    break;
  }
  return { block: { t: 'list', ordered, start, items: items.map((body) => parseMarkdown(body.join('\n'), depth + 1)) }, next: i };
}

const URL_AT = /^https?:\/\/[^\s<>()]*[^\s<>().,;:!?'"\]]/;

/** Parses the text of one block into inline nodes. */
export function parseInline(text: string, depth = 0): Inline[] {
  const out: Inline[] = [];
  let plain = '';
  const flush = () => {
    if (plain) out.push({ t: 'text', v: plain });
    plain = '';
  };
  if (depth > MAX_DEPTH) return [{ t: 'text', v: text }];
  // Delimiters with no closer left in the text: once a search fails, later ones would fail too,
  // so they are not searched again (keeps hostile input such as "*a *a *a …" linear).
  const exhausted = new Set<string>();
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (char === '\\' && i + 1 < text.length && /[!-/:-@[-`{-~]/.test(text[i + 1]!)) {
      plain += text[i + 1];
      i += 2;
      continue;
    }
    if (char === '\n') {
      flush();
      out.push({ t: 'br' });
      i += 1;
      continue;
    }
    if (char === '`') {
      let run = 1;
      while (text[i + run] === '`') run += 1;
      const fence = '`'.repeat(run);
      const close = exhausted.has(fence) ? -1 : text.indexOf(fence, i + run);
      if (close === -1) exhausted.add(fence);
      else {
        flush();
        out.push({ t: 'code', v: text.slice(i + run, close).replace(/^ (.+) $/, '$1') });
        i = close + run;
        continue;
      }
      plain += fence;
      i += run;
      continue;
    }
    const pair = text.startsWith('**', i) || text.startsWith('__', i) ? text.slice(i, i + 2) : text.startsWith('~~', i) ? '~~' : undefined;
    if (pair && text[i + 2] && text[i + 2] !== ' ' && !exhausted.has(pair)) {
      const close = text.indexOf(pair, i + 3);
      if (close === -1) exhausted.add(pair);
      else if (text[close - 1] !== ' ') {
        flush();
        out.push({ t: pair === '~~' ? 'del' : 'strong', c: parseInline(text.slice(i + 2, close), depth + 1) });
        i = close + 2;
        continue;
      }
    }
    if ((char === '*' || (char === '_' && !/\w/.test(text[i - 1] ?? ''))) && text[i + 1] && text[i + 1] !== ' ' && text[i + 1] !== char && !exhausted.has(char)) {
      let close = text.indexOf(char, i + 1);
      while (close !== -1 && (text[close - 1] === ' ' || text[close + 1] === char || (char === '_' && /\w/.test(text[close + 1] ?? '')))) {
        close = text[close + 1] === char ? text.indexOf(char, close + 2) : text.indexOf(char, close + 1);
      }
      if (close === -1) exhausted.add(char);
      else {
        flush();
        out.push({ t: 'em', c: parseInline(text.slice(i + 1, close), depth + 1) });
        i = close + 1;
        continue;
      }
    }
    if (char === '[') {
      const link = readLink(text, i);
      if (link) {
        flush();
        const children = parseInline(link.label, depth + 1);
        const href = safeHref(link.href);
        if (href) out.push({ t: 'link', href, c: children });
        else out.push(...children);
        i = link.end;
        continue;
      }
    }
    if ((char === 'h' || char === 'H') && !/\w/.test(text[i - 1] ?? '')) {
      const url = URL_AT.exec(text.slice(i, i + 2048));
      if (url) {
        flush();
        out.push({ t: 'link', href: url[0], c: [{ t: 'text', v: url[0] }] });
        i += url[0].length;
        continue;
      }
    }
    plain += char;
    i += 1;
  }
  flush();
  return out;
}

function readLink(text: string, open: number): { label: string; href: string; end: number } | undefined {
  let depth = 0;
  let close = -1;
  for (let j = open; j < text.length && j < open + 2048; j += 1) {
    if (text[j] === '\\') j += 1;
    else if (text[j] === '[') depth += 1;
    else if (text[j] === ']') {
      depth -= 1;
      if (depth === 0) {
        close = j;
        break;
      }
    }
  }
  if (close === -1 || text[close + 1] !== '(') return undefined;
  // The target may hold balanced parentheses: (https://en.wikipedia.org/wiki/Foo_(bar)).
  let end = -1;
  for (let j = close + 2, parens = 0; j < text.length && j < close + 2050; j += 1) {
    if (text[j] === '(') parens += 1;
    else if (text[j] === ')') {
      if (parens === 0) {
        end = j;
        break;
      }
      parens -= 1;
    } else if (text[j] === '\n') break;
  }
  if (end === -1) return undefined;
  const target = text.slice(close + 2, end).trim();
  const href = target.replace(/\s+(".*"|'.*')$/, '').replace(/^<(.*)>$/, '$1');
  return { label: text.slice(open + 1, close), href, end: end + 1 };
}
