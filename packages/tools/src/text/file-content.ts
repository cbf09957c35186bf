/**
 * Telling what kind of bytes a file holds: an image or a PDF the model can be shown as such,
 * text, or something binary that must not be pasted into the context as mojibake.
 */

/** Media types the read tool returns as image or document blocks. */
export type MediaType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp' | 'application/pdf';

function startsWith(bytes: Uint8Array, prefix: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + prefix.length) return false;
  return prefix.every((byte, i) => bytes[offset + i] === byte);
}

/**
 * The media type announced by a file's first bytes, or `undefined`. The content decides, not the
 * name: a `.png` that holds text is read as text, and an image saved as `plot.out` is still shown.
 */
export function sniffMediaType(bytes: Uint8Array): MediaType | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, [0x47, 0x49, 0x46, 0x38]) && (bytes[4] === 0x37 || bytes[4] === 0x39) && bytes[5] === 0x61) return 'image/gif';
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'application/pdf';
  return undefined;
}

/** How much of a file is examined to decide whether it is binary (git and grep look at about as much). */
const SNIFF_BYTES = 8192;

/**
 * Whether the bytes look binary: a NUL byte in the first 8 KiB, or so many invalid UTF-8
 * sequences that the text would be mostly replacement characters. Text in a legacy 8-bit
 * encoding has a few invalid sequences and is still shown.
 */
export function looksBinary(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, SNIFF_BYTES);
  if (sample.includes(0)) return true;
  if (sample.length === 0) return false;
  // A cut at the end of the sample may split a character; that must not count against the file.
  const text = new TextDecoder('utf-8').decode(sample, { stream: true });
  let replaced = 0;
  for (const ch of text) if (ch === '\uFFFD') replaced++;
  return replaced > text.length * 0.3;
}

/** UTF-8 text for display: invalid sequences become U+FFFD and a leading BOM is dropped. */
export function decodeForDisplay(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes);
}

/**
 * UTF-8 text that can be written back byte for byte: `undefined` when the bytes are not valid
 * UTF-8, and a leading BOM is kept in the string so a rewrite does not drop it.
 */
export function decodeExactly(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
