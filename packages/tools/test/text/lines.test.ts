import { describe, expect, it } from 'vitest';
import { numberLine, splitLines } from '../../src/text/lines.js';

describe('splitLines', () => {
  it('gives no lines for empty text', () => {
    expect(splitLines('')).toEqual({ lines: [], crlf: false });
  });

  it('does not count a final newline as an extra empty line', () => {
    expect(splitLines('a\nb\n').lines).toEqual(['a', 'b']);
    expect(splitLines('a\nb').lines).toEqual(['a', 'b']);
    expect(splitLines('a\n\n').lines).toEqual(['a', '']);
  });

  it('drops the CR of CRLF line endings and reports them', () => {
    expect(splitLines('a\r\nb\r\n')).toEqual({ lines: ['a', 'b'], crlf: true });
  });

  it('keeps a lone CR at the very end of the file as content', () => {
    expect(splitLines('a\nb\r')).toEqual({ lines: ['a', 'b\r'], crlf: false });
  });
});

describe('numberLine', () => {
  it('formats like cat -n: the number right-aligned in six columns, then a tab', () => {
    expect(numberLine(7, 'const x = 1;', 2000)).toBe('     7\tconst x = 1;');
    expect(numberLine(1234567, 'x', 2000)).toBe('1234567\tx');
  });

  it('cuts over-long lines', () => {
    expect(numberLine(1, 'y'.repeat(12), 4)).toBe('     1\tyyyy… [line truncated: 8 more characters]');
  });
});
