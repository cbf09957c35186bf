import { describe, expect, it } from 'vitest';
import { comparePaths } from '../../src/workspace/layers/layer-tar.js';

/** Characters from every range where UTF-16 and UTF-8 orders could differ, and plain ones. */
const ALPHABET = ['a', 'b', '/', '.', 'é', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uffee', '\uffff', '😀', '𐀀', '\u{10ffff}'];

function randomPath(random: () => number): string {
  let path = '';
  for (let n = 1 + Math.floor(random() * 6); n > 0; n--) path += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return path;
}

describe('the canonical order of paths', () => {
  it('is the order of their UTF-8 bytes, astral and private-use characters included', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const paths = Array.from({ length: 2000 }, () => randomPath(random));
    const byBytes = [...paths].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect([...paths].sort(comparePaths)).toEqual(byBytes);
    // The case a UTF-16 comparison gets wrong: U+FFEE sorts after U+1F600 in code units only.
    expect(comparePaths('\uffee', '😀')).toBeLessThan(0);
    expect(comparePaths('workspace/a', 'workspace/a')).toBe(0);
  });
});
