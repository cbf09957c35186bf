import { describe, expect, it } from 'vitest';
import { InputError, InputReader } from '../src/tool-input.js';

describe('InputReader', () => {
  it('refuses anything but a JSON object', () => {
    for (const raw of [null, undefined, 'text', 3, [1], true]) {
      expect(() => new InputReader('t', raw, [])).toThrow(InputError);
    }
  });

  it('names unknown fields and lists the accepted ones', () => {
    expect(() => new InputReader('read', { file_path: 'a', offset: 3 }, ['file_path', 'view_range'])).toThrow(
      'read: unknown field "offset"; the accepted fields are file_path, view_range',
    );
  });

  it('says which field is missing or has the wrong type, and what it got', () => {
    const input = new InputReader('t', { a: 1, b: 'x', c: 1.5, d: [1, 'x'], e: '' }, ['a', 'b', 'c', 'd', 'e', 'f']);
    expect(() => input.string('a')).toThrow('t: "a" must be a string, got an integer');
    expect(() => input.string('f')).toThrow('t: "f" is required');
    expect(() => input.string('e')).toThrow('t: "e" must not be empty');
    expect(input.string('e', { allowEmpty: true })).toBe('');
    expect(() => input.optionalBoolean('b')).toThrow('t: "b" must be true or false, got a string');
    expect(() => input.optionalInteger('c', 1)).toThrow('t: "c" must be an integer, got a number');
    expect(() => input.optionalInteger('a', 5)).toThrow('t: "a" must be at least 5, got 1');
    expect(() => input.optionalIntegerTuple('d', 2)).toThrow('t: "d" must be an array of 2 integers, got [1,"x"]');
  });

  it('reads absent and null optional fields as undefined', () => {
    const input = new InputReader('t', { a: null }, ['a', 'b']);
    expect(input.optionalString('a')).toBeUndefined();
    expect(input.optionalBoolean('b')).toBeUndefined();
    expect(input.optionalInteger('b', 0)).toBeUndefined();
    expect(input.optionalIntegerTuple('b', 2)).toBeUndefined();
  });
});
