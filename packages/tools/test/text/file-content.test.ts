import { describe, expect, it } from 'vitest';
import { decodeExactly, decodeForDisplay, looksBinary, sniffMediaType } from '../../src/text/file-content.js';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('sniffMediaType', () => {
  it('recognises images and PDFs by their first bytes', () => {
    expect(sniffMediaType(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0))).toBe('image/png');
    expect(sniffMediaType(bytes(0xff, 0xd8, 0xff, 0xe0))).toBe('image/jpeg');
    expect(sniffMediaType(new TextEncoder().encode('GIF89a....'))).toBe('image/gif');
    expect(sniffMediaType(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 '))).toBe('image/webp');
    expect(sniffMediaType(new TextEncoder().encode('%PDF-1.7\n'))).toBe('application/pdf');
  });

  it('does not take text for an image', () => {
    expect(sniffMediaType(new TextEncoder().encode('PNG is a format'))).toBeUndefined();
    expect(sniffMediaType(new TextEncoder().encode('RIFF but not webp'))).toBeUndefined();
    expect(sniffMediaType(bytes())).toBeUndefined();
  });
});

describe('looksBinary', () => {
  it('calls bytes with a NUL binary', () => {
    expect(looksBinary(bytes(0x61, 0x00, 0x62))).toBe(true);
  });

  it('calls UTF-8 text, including non-Latin scripts and emoji, text', () => {
    expect(looksBinary(new TextEncoder().encode('héllo wörld — 日本語 😀'))).toBe(false);
    expect(looksBinary(bytes())).toBe(false);
  });

  it('tolerates a few invalid bytes (a Latin-1 file) but not mostly invalid ones', () => {
    expect(looksBinary(new Uint8Array([...new TextEncoder().encode('caf'), 0xe9, ...new TextEncoder().encode(' au lait, s\'il vous plait')]))).toBe(false);
    expect(looksBinary(new Uint8Array(200).map((_, i) => 0x80 + (i % 60)))).toBe(true);
  });

  it('does not count a character cut at the end of the sample against the file', () => {
    const text = 'é'.repeat(5000); // 10 000 bytes: the 8 KiB sample ends mid-way through none, but try an odd cut too
    expect(looksBinary(new TextEncoder().encode(`x${text}`))).toBe(false);
  });
});

describe('decoding', () => {
  it('drops a BOM for display but keeps it for an exact round trip', () => {
    const withBom = bytes(0xef, 0xbb, 0xbf, 0x61);
    expect(decodeForDisplay(withBom)).toBe('a');
    expect(decodeExactly(withBom)).toBe('\ufeffa');
    expect(new TextEncoder().encode(decodeExactly(withBom) as string)).toEqual(withBom);
  });

  it('refuses invalid UTF-8 when exactness matters', () => {
    expect(decodeExactly(bytes(0x63, 0xe9))).toBeUndefined();
    expect(decodeForDisplay(bytes(0x63, 0xe9))).toBe('c\ufffd');
  });
});
