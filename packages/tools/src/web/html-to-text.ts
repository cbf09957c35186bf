/**
 * HTML to readable text for a model: what a person would read on the page, in a Markdown-like
 * form that keeps its structure (headings as `#`, lists as `-` / `1.`, links as `[text](url)`,
 * preformatted blocks fenced) and drops what is not content (scripts, styles, forms' options,
 * inline SVG, comments).
 */

import { tokenizeHtml } from './html-tokens.js';
import { TextOutput } from './text-output.js';

export interface HtmlText {
  /** The document's `<title>` (or its first `<h1>`), if any. */
  title: string | undefined;
  text: string;
}

/**
 * Elements dropped with everything inside them. Not `<head>`: its end tag may be left out, and
 * what it holds besides the title (meta, link, script, style) leaves no text anyway.
 */
const DROPPED = new Set(['script', 'style', 'noscript', 'template', 'svg', 'math', 'select', 'datalist', 'iframe', 'object', 'canvas', 'audio', 'video', 'map', 'dialog']);
/** Elements with no end tag: never on a stack. */
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
/** Elements that start a paragraph of their own (a blank line around them). */
const PARAGRAPH = new Set(['p', 'blockquote', 'figure', 'table', 'dl', 'address', 'details', 'fieldset', 'form']);
/** Elements that start a new line. */
const LINE = new Set([
  'div', 'section', 'article', 'main', 'header', 'footer', 'nav', 'aside', 'figcaption', 'caption',
  'dt', 'dd', 'summary', 'legend', 'label', 'tr', 'tbody', 'thead', 'tfoot', 'center', 'hgroup', 'option',
]);

interface List {
  ordered: boolean;
  next: number;
}

interface Link {
  href: string | undefined;
  text: string;
}

function resolveHref(href: string, base: URL | undefined): string | undefined {
  const trimmed = href.trim();
  if (trimmed === '' || trimmed.startsWith('#') || /^(?:javascript|data|vbscript):/i.test(trimmed)) return undefined;
  try {
    return base ? new URL(trimmed, base).href : new URL(trimmed).href;
  } catch {
    return trimmed;
  }
}

/**
 * Converts an HTML document to text. `baseUrl` (the page's address) makes relative links absolute;
 * a `<base href>` in the page takes precedence, as in a browser.
 *
 * @example
 * htmlToText('<h1>Hi</h1><p>See <a href="/docs">the docs</a>.</p>', 'https://example.com/').text
 * // '# Hi\n\nSee [the docs](https://example.com/docs).'
 */
export function htmlToText(html: string, baseUrl?: string): HtmlText {
  const out = new TextOutput();
  let base: URL | undefined;
  try {
    base = baseUrl ? new URL(baseUrl) : undefined;
  } catch {
    base = undefined;
  }
  let title: string | undefined;
  let firstHeading: string | undefined;
  let inTitle = false;
  let headingText: string | undefined;
  const dropped: string[] = [];
  const lists: List[] = [];
  const links: Link[] = [];
  let preDepth = 0;
  let tableCell = 0;

  /** Inline text goes to the innermost open link, if any, so it can become the link's label. */
  const inline = (text: string): void => {
    const link = links[links.length - 1];
    if (link) link.text += text;
    else out.inline(text);
    if (headingText !== undefined) headingText += text;
  };
  const block = (lines: 1 | 2): void => {
    if (links.length > 0) inline(' ');
    else out.block(lines);
  };

  for (const token of tokenizeHtml(html)) {
    if (dropped.length > 0) {
      // Inside a dropped element only its own nesting matters (an <svg> may hold an <svg>).
      if (token.type === 'open' && token.name === dropped[dropped.length - 1] && !token.selfClosing) dropped.push(token.name);
      else if (token.type === 'close' && token.name === dropped[dropped.length - 1]) dropped.pop();
      continue;
    }
    if (token.type === 'text') {
      if (inTitle) {
        if (title === undefined) title = token.text.replace(/\s+/g, ' ').trim() || undefined;
      } else if (preDepth > 0 && links.length === 0) {
        out.preformatted(token.text);
      } else {
        inline(token.text);
      }
      continue;
    }
    const name = token.name;
    if (token.type === 'open') {
      if (DROPPED.has(name)) {
        if (!token.selfClosing) dropped.push(name);
        continue;
      }
      if (name === 'title') inTitle = true;
      else if (name === 'base') base = safeUrl(token.attrs.get('href'), base) ?? base;
      else if (name === 'br') {
        if (links.length > 0) inline(' ');
        else out.lineBreak();
      } else if (name === 'hr') {
        out.block(2);
        out.inline('---');
        out.block(2);
      } else if (/^h[1-6]$/.test(name)) {
        out.block(2);
        out.marker(`${'#'.repeat(Number(name[1]))} `);
        if (name === 'h1' && firstHeading === undefined) headingText = '';
      } else if (name === 'ul' || name === 'ol' || name === 'menu') {
        out.block(lists.length === 0 ? 2 : 1);
        const start = Number.parseInt(token.attrs.get('start') ?? '1', 10);
        lists.push({ ordered: name === 'ol', next: Number.isFinite(start) ? start : 1 });
      } else if (name === 'li') {
        out.block(1);
        const list = lists[lists.length - 1];
        const indent = '  '.repeat(Math.max(0, lists.length - 1));
        out.setIndent(indent.length + 2);
        out.marker(indent + (list?.ordered ? `${list.next++}. ` : '- '));
      } else if (name === 'pre') {
        out.block(2);
        out.preformatted('```\n');
        out.skipLeadingNewline();
        preDepth++;
      } else if (name === 'code' && preDepth === 0) {
        inline('`');
      } else if (name === 'a') {
        links.push({ href: resolveHref(token.attrs.get('href') ?? '', base), text: '' });
        if (token.selfClosing) closeLink();
      } else if (name === 'img') {
        const alt = (token.attrs.get('alt') ?? '').trim();
        if (alt !== '') inline(links.length > 0 ? alt : `[image: ${alt}]`);
      } else if (name === 'td' || name === 'th') {
        if (tableCell++ > 0) inline(' | ');
      } else if (PARAGRAPH.has(name)) {
        block(2);
      } else if (LINE.has(name)) {
        block(1);
      }
      if (name === 'tr') tableCell = 0;
      continue;
    }
    // Closing tags.
    if (VOID.has(name)) continue;
    if (name === 'title') inTitle = false;
    else if (/^h[1-6]$/.test(name)) {
      if (headingText !== undefined) {
        firstHeading = headingText.replace(/\s+/g, ' ').trim() || undefined;
        headingText = undefined;
      }
      out.block(2);
    } else if (name === 'ul' || name === 'ol' || name === 'menu') {
      lists.pop();
      out.setIndent(lists.length * 2);
      out.block(lists.length === 0 ? 2 : 1);
    } else if (name === 'li') {
      out.block(1);
    } else if (name === 'pre' && preDepth > 0) {
      preDepth--;
      out.endPreformatted();
      out.block(2);
    } else if (name === 'code' && preDepth === 0) {
      inline('`');
    } else if (name === 'a') {
      closeLink();
    } else if (PARAGRAPH.has(name)) {
      block(2);
    } else if (LINE.has(name)) {
      block(1);
    }
  }
  while (links.length > 0) closeLink();
  if (preDepth > 0) out.endPreformatted();
  return { title: title ?? firstHeading, text: out.toString() };

  function closeLink(): void {
    const link = links.pop();
    if (!link) return;
    const label = link.text.replace(/\s+/g, ' ').trim();
    // A link without words (an icon) is dropped; one whose words are its address is shown once.
    if (label === '') return;
    const rendered = link.href !== undefined && label !== link.href ? `[${label}](${link.href})` : label;
    // Spaces just inside the link separate it from the words around it, as they did on the page.
    inline(`${/^\s/.test(link.text) ? ' ' : ''}${rendered}${/\s$/.test(link.text) ? ' ' : ''}`);
  }
}

function safeUrl(href: string | undefined, base?: URL): URL | undefined {
  if (!href) return undefined;
  try {
    return new URL(href, base);
  } catch {
    return undefined;
  }
}
