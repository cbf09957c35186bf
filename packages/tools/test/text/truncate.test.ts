import { describe, expect, it } from 'vitest';
import { headOf, tailOf, truncateLine, truncateLines, truncateMiddle } from '../../src/text/truncate.js';

describe('truncation', () => {
  it('leaves text within the limit alone', () => {
    expect(truncateMiddle('short', 10)).toEqual({ text: 'short', truncated: false });
    expect(headOf('short', 5)).toBe('short');
    expect(truncateLine('short', 5)).toBe('short');
  });

  it('never splits a surrogate pair at either end', () => {
    const text = 'ab😀cd';
    expect(headOf(text, 3)).toBe('ab');
    expect(tailOf(text, 3)).toBe('cd');
    expect(headOf(text, 4)).toBe('ab😀');
  });

  it('keeps the start and the end and says how much was left out', () => {
    const text = `${'a'.repeat(50)}${'b'.repeat(100)}${'c'.repeat(50)}`;
    const cut = truncateMiddle(text, 100);
    expect(cut.truncated).toBe(true);
    expect(cut.text.startsWith('a'.repeat(50))).toBe(true);
    expect(cut.text.endsWith('c'.repeat(50))).toBe(true);
    expect(cut.text).toContain('[... 100 characters omitted ...]');
  });

  it('cuts a long line and marks how much is missing', () => {
    expect(truncateLine('x'.repeat(30), 10)).toBe(`${'x'.repeat(10)}… [line truncated: 20 more characters]`);
  });

  it('keeps whole lines when cutting text by lines', () => {
    expect(truncateLines('one\ntwo\nthree', 9)).toEqual({ text: 'one\ntwo', omitted: 6 });
    expect(truncateLines('abcdefghij', 4)).toEqual({ text: 'abcd', omitted: 6 });
  });
});
