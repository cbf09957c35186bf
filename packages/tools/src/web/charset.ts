/**
 * Decoding a fetched body to text: the byte-order mark first, then the `charset` of the
 * Content-Type header, then (for HTML) a `<meta charset>` near the top, then UTF-8, the order a
 * browser uses.
 */

/**
 * What bytes 0x80–0x9F mean in Windows-1252, which the web uses for every "latin1" label (and the
 * HTML standard for numeric references in that range). Node 20's decoder reads them as C1 control
 * characters instead, so they are mapped afterwards.
 */
export const WINDOWS_1252_C1: Record<number, number> = {
  0x80: 0x20ac, 0x82: 0x201a, 0x83: 0x0192, 0x84: 0x201e, 0x85: 0x2026, 0x86: 0x2020, 0x87: 0x2021,
  0x88: 0x02c6, 0x89: 0x2030, 0x8a: 0x0160, 0x8b: 0x2039, 0x8c: 0x0152, 0x8e: 0x017d, 0x91: 0x2018,
  0x92: 0x2019, 0x93: 0x201c, 0x94: 0x201d, 0x95: 0x2022, 0x96: 0x2013, 0x97: 0x2014, 0x98: 0x02dc,
  0x99: 0x2122, 0x9a: 0x0161, 0x9b: 0x203a, 0x9c: 0x0153, 0x9e: 0x017e, 0x9f: 0x0178,
};

/** The media type of a Content-Type header, lower case, without parameters. */
export function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function charsetParam(contentType: string | null): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return match?.[1];
}

function metaCharset(head: string): string | undefined {
  const direct = /<meta[^>]+charset\s*=\s*["']?([a-zA-Z0-9._:-]+)/i.exec(head);
  return direct?.[1];
}

function decoderFor(label: string | undefined): InstanceType<typeof TextDecoder> | undefined {
  if (!label) return undefined;
  try {
    return new TextDecoder(label);
  } catch {
    return undefined;
  }
}

/**
 * Decodes `body` as text. Unknown charset labels fall back to UTF-8, and bytes that do not decode
 * become U+FFFD: a page with a wrong label is still readable in part.
 */
export function decodeBody(body: Uint8Array, contentType: string | null, isHtml: boolean): string {
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return new TextDecoder('utf-8').decode(body);
  if (body[0] === 0xff && body[1] === 0xfe) return new TextDecoder('utf-16le').decode(body);
  if (body[0] === 0xfe && body[1] === 0xff) return new TextDecoder('utf-16be').decode(body);
  let decoder = decoderFor(charsetParam(contentType));
  if (!decoder && isHtml) {
    // The standard looks for the meta tag in the first 1024 bytes; ASCII-compatible by then.
    decoder = decoderFor(metaCharset(new TextDecoder('latin1').decode(body.subarray(0, 1024))));
    // A page that could say so in ASCII is not UTF-16, whatever its meta tag claims (HTML standard).
    if (decoder?.encoding.startsWith('utf-16')) decoder = undefined;
  }
  const text = (decoder ?? new TextDecoder('utf-8')).decode(body);
  if (decoder?.encoding !== 'windows-1252') return text;
  return text.replace(/[\u0080-\u009f]/g, (ch) => String.fromCodePoint(WINDOWS_1252_C1[ch.charCodeAt(0)] ?? ch.charCodeAt(0)));
}
