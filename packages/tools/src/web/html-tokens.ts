/**
 * A forgiving HTML tokenizer: tags, their attributes and the text between them, in one linear
 * pass with no backtracking regexes (a page is hostile input). It does not build a tree; the
 * converter keeps the little nesting state it needs.
 */

import { decodeEntities } from './html-entities.js';

export type HtmlToken =
  | { type: 'text'; text: string }
  | { type: 'open'; name: string; attrs: Map<string, string>; selfClosing: boolean }
  | { type: 'close'; name: string };

/** Elements whose content is not markup: it runs to the matching end tag, whatever it holds. */
const RAW_TEXT = new Set(['script', 'style', 'xmp', 'iframe', 'noembed', 'noframes', 'plaintext']);
/** Raw text in which character references still count. */
const ESCAPABLE_RAW_TEXT = new Set(['title', 'textarea']);

function isAsciiLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function isSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f';
}

/** Parses the attributes of a tag from `start` up to its `>`; returns them and the index after `>`. */
function readAttributes(html: string, start: number): { attrs: Map<string, string>; selfClosing: boolean; end: number } {
  const attrs = new Map<string, string>();
  let i = start;
  let selfClosing = false;
  while (i < html.length) {
    while (isSpace(html[i])) i++;
    const ch = html[i];
    if (ch === undefined) break;
    if (ch === '>') return { attrs, selfClosing, end: i + 1 };
    if (ch === '/') {
      selfClosing = html[i + 1] === '>';
      i++;
      continue;
    }
    let nameEnd = i + 1;
    while (nameEnd < html.length && !isSpace(html[nameEnd]) && !'/>='.includes(html[nameEnd] as string)) nameEnd++;
    const name = html.slice(i, nameEnd).toLowerCase();
    i = nameEnd;
    while (isSpace(html[i])) i++;
    let value = '';
    if (html[i] === '=') {
      i++;
      while (isSpace(html[i])) i++;
      const quote = html[i];
      if (quote === '"' || quote === "'") {
        const close = html.indexOf(quote, i + 1);
        const end = close < 0 ? html.length : close;
        value = html.slice(i + 1, end);
        i = end + 1;
      } else {
        let end = i;
        while (end < html.length && !isSpace(html[end]) && html[end] !== '>') end++;
        value = html.slice(i, end);
        i = end;
      }
    }
    if (!attrs.has(name)) attrs.set(name, decodeEntities(value));
  }
  return { attrs, selfClosing, end: html.length };
}

/** Index where the raw text of `<name>` ends (its `</name`), case-insensitively. */
function rawTextEnd(html: string, from: number, name: string): number {
  const lower = `</${name}`;
  for (let at = html.indexOf('</', from); at >= 0; at = html.indexOf('</', at + 2)) {
    if (html.slice(at, at + lower.length).toLowerCase() === lower) {
      const after = html[at + lower.length];
      if (after === undefined || after === '>' || after === '/' || isSpace(after)) return at;
    }
  }
  return html.length;
}

/**
 * Yields the tokens of an HTML document. Comments, doctypes and processing instructions are
 * dropped; text comes with character references decoded; tag and attribute names are lower case.
 */
export function* tokenizeHtml(html: string): Generator<HtmlToken> {
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    const textEnd = lt < 0 ? html.length : lt;
    if (textEnd > i) yield { type: 'text', text: decodeEntities(html.slice(i, textEnd)) };
    if (lt < 0) return;
    i = lt;
    const next = html.charCodeAt(i + 1);
    if (html.startsWith('<!--', i)) {
      const close = html.indexOf('-->', i + 4);
      i = close < 0 ? html.length : close + 3;
    } else if (html[i + 1] === '!' || html[i + 1] === '?') {
      const close = html.indexOf('>', i + 2);
      i = close < 0 ? html.length : close + 1;
    } else if (html[i + 1] === '/' && isAsciiLetter(html.charCodeAt(i + 2))) {
      let nameEnd = i + 2;
      while (nameEnd < html.length && !isSpace(html[nameEnd]) && html[nameEnd] !== '>' && html[nameEnd] !== '/') nameEnd++;
      const close = html.indexOf('>', nameEnd);
      yield { type: 'close', name: html.slice(i + 2, nameEnd).toLowerCase() };
      i = close < 0 ? html.length : close + 1;
    } else if (isAsciiLetter(next)) {
      let nameEnd = i + 1;
      while (nameEnd < html.length && !isSpace(html[nameEnd]) && html[nameEnd] !== '>' && html[nameEnd] !== '/') nameEnd++;
      const name = html.slice(i + 1, nameEnd).toLowerCase();
      const { attrs, selfClosing, end } = readAttributes(html, nameEnd);
      yield { type: 'open', name, attrs, selfClosing };
      i = end;
      if ((RAW_TEXT.has(name) || ESCAPABLE_RAW_TEXT.has(name)) && !selfClosing) {
        const stop = rawTextEnd(html, i, name);
        const raw = html.slice(i, stop);
        if (raw !== '') yield { type: 'text', text: ESCAPABLE_RAW_TEXT.has(name) ? decodeEntities(raw) : raw };
        i = stop;
      }
    } else {
      // A `<` that starts no tag ("a < b") is text.
      yield { type: 'text', text: '<' };
      i++;
    }
  }
}
