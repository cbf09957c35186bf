import { describe, expect, it } from 'vitest';
import { parseInline, parseMarkdown, safeHref } from '../src/ui/markdown.js';

describe('parseMarkdown', () => {
  it('reads headings, lists, code fences, quotes and paragraphs', () => {
    const blocks = parseMarkdown('# Title\n\nSome **bold** and *em* and `code`.\n\n- one\n- two\n  - nested\n\n1. first\n2. second\n\n```ts\nconst x = 1;\n```\n\n> quoted');
    expect(blocks.map((block) => block.t)).toEqual(['h', 'p', 'list', 'list', 'code', 'quote']);
    expect(blocks[2]).toMatchObject({ t: 'list', ordered: false, items: [[{ t: 'p' }], [{ t: 'p' }, { t: 'list' }]] });
    expect(blocks[3]).toMatchObject({ t: 'list', ordered: true, start: 1 });
    expect(blocks[4]).toEqual({ t: 'code', lang: 'ts', v: 'const x = 1;' });
    expect(parseInline('Some **bold** and *em* and `code`.')).toEqual([
      { t: 'text', v: 'Some ' },
      { t: 'strong', c: [{ t: 'text', v: 'bold' }] },
      { t: 'text', v: ' and ' },
      { t: 'em', c: [{ t: 'text', v: 'em' }] },
      { t: 'text', v: ' and ' },
      { t: 'code', v: 'code' },
      { t: 'text', v: '.' },
    ]);
  });

  it('keeps HTML as text: nothing in the tree is ever markup', () => {
    const blocks = parseMarkdown('<script>alert(1)</script> <img src=x onerror=alert(1)>');
    expect(blocks).toEqual([{ t: 'p', c: [{ t: 'text', v: '<script>alert(1)</script> <img src=x onerror=alert(1)>' }] }]);
  });

  it('keeps only safe link targets', () => {
    expect(parseInline('[a](https://example.com) [b](javascript:alert(1)) [c](data:text/html,x)')).toEqual([
      { t: 'link', href: 'https://example.com', c: [{ t: 'text', v: 'a' }] },
      { t: 'text', v: ' ' },
      { t: 'text', v: 'b' },
      { t: 'text', v: ' ' },
      { t: 'text', v: 'c' },
    ]);
    expect(safeHref(' JavaScript:alert(1)')).toBeUndefined();
    expect(safeHref('//evil.example')).toBeUndefined();
    expect(safeHref('mailto:a@b.c')).toBe('mailto:a@b.c');
  });

  it('links bare URLs without their trailing punctuation', () => {
    expect(parseInline('see https://example.com/x.')).toEqual([
      { t: 'text', v: 'see ' },
      { t: 'link', href: 'https://example.com/x', c: [{ t: 'text', v: 'https://example.com/x' }] },
      { t: 'text', v: '.' },
    ]);
  });

  it('reads GFM tables with their alignment', () => {
    expect(parseMarkdown('| a | b |\n|:--|--:|\n| 1 | 2 |')).toEqual([
      { t: 'table', align: ['left', 'right'], head: [[{ t: 'text', v: 'a' }], [{ t: 'text', v: 'b' }]], rows: [[[{ t: 'text', v: '1' }], [{ t: 'text', v: '2' }]]] },
    ]);
  });

  it('stays shallow and fast on hostile input', () => {
    const deep = `${'> '.repeat(500)}x`;
    expect(() => parseMarkdown(deep)).not.toThrow();
    const stars = '*a '.repeat(20_000);
    expect(parseMarkdown(stars)).toHaveLength(1);
    expect(parseInline('['.repeat(5000))).toEqual([{ t: 'text', v: '['.repeat(5000) }]);
  });
});
