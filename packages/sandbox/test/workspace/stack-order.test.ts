import { describe, expect, it } from 'vitest';
import { onTop, topmostUnique } from '../../src/workspace/overlay/overlay-view.js';

describe('layer stacks', () => {
  it('keep each layer only at its topmost place', () => {
    expect(topmostUnique(['a', 'b', 'a', 'c', 'b'])).toEqual(['a', 'c', 'b']);
    expect(topmostUnique(['a', 'b', 'c'])).toEqual(['a', 'b', 'c']);
    expect(topmostUnique([])).toEqual([]);
  });

  it('put a layer on top, moving it up when it was lower', () => {
    expect(onTop(['a', 'b'], 'c')).toEqual(['a', 'b', 'c']);
    expect(onTop(['a', 'b'], 'b')).toEqual(['a', 'b']);
    expect(onTop(['a', 'b'], 'a')).toEqual(['b', 'a']);
  });
});
