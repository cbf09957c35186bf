import { invalidRequest } from '@longhand/protocol';

const BLOCK = 512;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** A ustar header for a regular file (the only kind of entry a session archive has). */
export function fileHeader(name: string, size: number, mtimeMs = 0): Uint8Array {
  const nameBytes = encoder.encode(name);
  if (nameBytes.length > 100) throw new Error(`archive entry name too long: ${name}`);
  const header = new Uint8Array(BLOCK);
  header.set(nameBytes, 0);
  header.set(encoder.encode(octal(0o644, 8)), 100);
  header.set(encoder.encode(octal(0, 8)), 108);
  header.set(encoder.encode(octal(0, 8)), 116);
  header.set(encoder.encode(octal(size, 12)), 124);
  header.set(encoder.encode(octal(Math.floor(mtimeMs / 1000), 12)), 136);
  header.set(encoder.encode('        '), 148);
  header[156] = 0x30; // '0': regular file
  header.set(encoder.encode('ustar\u000000'), 257);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.set(encoder.encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
  return header;
}

/** Zero bytes that pad an entry of `size` to a whole block. */
export function padding(size: number): Uint8Array {
  return new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The two zero blocks that end an archive. */
export const END_OF_ARCHIVE = new Uint8Array(BLOCK * 2);

export interface TarEntry {
  name: string;
  size: number;
  /** The entry's bytes; read it whole before asking for the next entry. */
  body: AsyncIterable<Uint8Array>;
}

/**
 * Reads a ustar stream entry by entry without buffering bodies. Only regular files are accepted:
 * any other entry type (links, directories, devices, extended headers) rejects the archive.
 */
export async function* readTar(source: AsyncIterable<Uint8Array>): AsyncGenerator<TarEntry> {
  const iterator = source[Symbol.asyncIterator]();
  let buffer = new Uint8Array(0);
  const fill = async (n: number): Promise<boolean> => {
    while (buffer.length < n) {
      const next = await iterator.next();
      if (next.done) return false;
      const merged = new Uint8Array(buffer.length + next.value.length);
      merged.set(buffer);
      merged.set(next.value, buffer.length);
      buffer = merged;
    }
    return true;
  };
  const take = (n: number): Uint8Array => {
    const out = buffer.slice(0, n);
    buffer = buffer.slice(n);
    return out;
  };
  for (;;) {
    if (!(await fill(BLOCK))) throw invalidRequest('the archive ends in the middle of an entry header');
    const header = take(BLOCK);
    if (header.every((byte) => byte === 0)) return;
    let sum = 0;
    for (let i = 0; i < BLOCK; i += 1) sum += i >= 148 && i < 156 ? 32 : header[i]!;
    const recorded = parseInt(decoder.decode(header.subarray(148, 156)).replace(/[\0 ]/g, ''), 8);
    if (sum !== recorded) throw invalidRequest('the archive has a corrupt entry header');
    const type = header[156];
    const name = decoder.decode(header.subarray(0, 100)).replace(/\0.*$/s, '');
    if (type !== 0x30 && type !== 0) throw invalidRequest(`the archive entry ${name} is not a regular file`);
    if (header[345] !== 0) throw invalidRequest(`the archive entry ${name} uses a name prefix, which session archives never do`);
    const size = parseInt(decoder.decode(header.subarray(124, 136)).replace(/[\0 ]/g, '') || '0', 8);
    if (!Number.isSafeInteger(size) || size < 0) throw invalidRequest(`the archive entry ${name} has an invalid size`);
    let remaining = size;
    let consumed = false;
    const body = async function* () {
      while (remaining > 0) {
        if (buffer.length === 0 && !(await fill(1))) throw invalidRequest(`the archive ends in the middle of ${name}`);
        const chunk = take(Math.min(remaining, buffer.length));
        remaining -= chunk.length;
        yield chunk;
      }
      consumed = true;
    };
    yield { name, size, body: body() };
    if (!consumed) for await (const _chunk of body()) void _chunk;
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad > 0) {
      if (!(await fill(pad))) throw invalidRequest(`the archive ends in the padding of ${name}`);
      take(pad);
    }
  }
}
