import { describe, expect, it } from 'vitest';
import { decodeBody, mediaTypeOf } from '../../src/web/charset.js';

describe('decodeBody', () => {
  const latin1 = new Uint8Array([0x63, 0x61, 0x66, 0xe9]); // "café" in ISO-8859-1

  it('uses the charset of the Content-Type header', () => {
    expect(decodeBody(latin1, 'text/plain; charset=ISO-8859-1', false)).toBe('café');
    expect(decodeBody(latin1, 'text/plain; charset="iso-8859-1"', false)).toBe('café');
  });

  it('finds a <meta charset> in an HTML page when the header has none', () => {
    const page = new Uint8Array([...new TextEncoder().encode('<meta charset="windows-1252"><p>'), 0x93, 0x68, 0x69, 0x94]);
    expect(decodeBody(page, 'text/html', true)).toBe('<meta charset="windows-1252"><p>“hi”');
  });

  it('lets a byte-order mark win, and falls back to UTF-8 for unknown labels', () => {
    expect(decodeBody(new Uint8Array([0xff, 0xfe, 0x68, 0x00, 0x69, 0x00]), 'text/plain; charset=latin1', false)).toBe('hi');
    expect(decodeBody(new TextEncoder().encode('naïve'), 'text/plain; charset=bogus-charset', false)).toBe('naïve');
  });

  it('ignores a meta tag that claims UTF-16 in an ASCII-compatible page', () => {
    expect(decodeBody(new TextEncoder().encode('<meta charset="utf-16"><p>ok é'), 'text/html', true)).toBe('<meta charset="utf-16"><p>ok é');
  });
});

describe('mediaTypeOf', () => {
  it('drops parameters and letter case', () => {
    expect(mediaTypeOf('Text/HTML; charset=utf-8')).toBe('text/html');
    expect(mediaTypeOf(null)).toBe('');
  });
});
