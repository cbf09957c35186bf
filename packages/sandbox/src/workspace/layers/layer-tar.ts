/**
 * The canonical tar form of a layer, whose SHA-256 is the layer's id: entries sorted by path
 * (bytewise), every owner normalised to the sandbox user (1000:1000, no names), modes without
 * setuid/setgid, whole-second mtimes, POSIX pax records only where ustar fields are too small,
 * whiteouts as character devices 0:0 and opaque directories as the overlay's own xattr
 * (`SCHILY.xattr.trusted.overlay.opaque=y`, as GNU tar writes it). The same files always give the
 * same bytes, on any host.
 */

/** One entry of a layer, in canonical form. Paths are relative, `/`-separated, never `.` or `..`. */
export type LayerEntry =
  | { type: 'dir'; path: string; mode: number; mtime: number; opaque: boolean }
  | { type: 'file'; path: string; mode: number; mtime: number; size: number }
  | { type: 'hardlink'; path: string; mode: number; mtime: number; target: string }
  | { type: 'symlink'; path: string; mtime: number; target: string }
  | { type: 'whiteout'; path: string; mtime: number };

const BLOCK = 512;
const OWNER = 1000;
/** The largest size an octal ustar size field holds. */
const MAX_OCTAL_SIZE = 8 ** 11 - 1;
const OPAQUE_RECORD = 'SCHILY.xattr.trusted.overlay.opaque';
const TYPE_FLAGS = { file: '0', hardlink: '1', symlink: '2', whiteout: '3', dir: '5' } as const;

/** Code units where UTF-16 order and UTF-8 byte order can disagree (surrogates and above). */
const FROM_SURROGATES = /[\uD800-\uFFFF]/;

/** Orders paths bytewise (UTF-8), the canonical order. */
export function comparePaths(a: string, b: string): number {
  // Below U+D800, comparing UTF-16 code units orders as UTF-8 bytes do, without encoding both.
  if (!FROM_SURROGATES.test(a) && !FROM_SURROGATES.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function ustarHeader(name: string, mode: number, size: number, mtime: number, type: string, link: string): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, 100, 'utf8');
  block.write(octal(mode, 8), 100, 'latin1');
  block.write(octal(OWNER, 8), 108, 'latin1');
  block.write(octal(OWNER, 8), 116, 'latin1');
  block.write(octal(size, 12), 124, 'latin1');
  block.write(octal(mtime, 12), 136, 'latin1');
  block.write(type, 156, 'latin1');
  block.write(link, 157, 100, 'utf8');
  block.write('ustar\0', 257, 'latin1');
  block.write('00', 263, 'latin1');
  block.write(octal(0, 8), 329, 'latin1');
  block.write(octal(0, 8), 337, 'latin1');
  block.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

/** A pax record `"<len> <key>=<value>\n"`, whose length counts its own digits. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
  return `${length}${body}`;
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/**
 * The header blocks of one entry (a pax header first when a field overflows or the directory is
 * opaque). A regular file's data and padding follow, written by the caller (`padding`).
 */
export function entryHeader(entry: LayerEntry): Buffer {
  const name = entry.type === 'dir' ? `${entry.path}/` : entry.path;
  const link = entry.type === 'hardlink' || entry.type === 'symlink' ? entry.target : '';
  const size = entry.type === 'file' ? entry.size : 0;
  const mode = entry.type === 'symlink' ? 0o777 : entry.type === 'whiteout' ? 0 : entry.mode & 0o1777;
  const records: string[] = [];
  if (Buffer.byteLength(name) > 100) records.push(paxRecord('path', name));
  if (Buffer.byteLength(link) > 100) records.push(paxRecord('linkpath', link));
  if (size > MAX_OCTAL_SIZE) records.push(paxRecord('size', String(size)));
  if (entry.type === 'dir' && entry.opaque) records.push(paxRecord(OPAQUE_RECORD, 'y'));
  const main = ustarHeader(Buffer.byteLength(name) > 100 ? '' : name, mode, size > MAX_OCTAL_SIZE ? 0 : size, entry.mtime, TYPE_FLAGS[entry.type], Buffer.byteLength(link) > 100 ? '' : link);
  if (records.length === 0) return main;
  const pax = Buffer.from(records.join(''));
  return Buffer.concat([ustarHeader('pax', 0o644, pax.length, 0, 'x', ''), pax, padding(pax.length), main]);
}

/** The zero bytes that complete a file's data to whole blocks. */
export function dataPadding(size: number): Buffer {
  return padding(size);
}

/** The two zero blocks that end an archive. */
export const TAR_END = Buffer.alloc(BLOCK * 2);

/** A header as read from an archive, after pax records were applied. */
export interface TarHeader {
  path: string;
  type: 'file' | 'hardlink' | 'symlink' | 'chardev' | 'blockdev' | 'dir' | 'fifo' | 'other';
  mode: number;
  size: number;
  mtime: number;
  link: string;
  devmajor: number;
  devminor: number;
  opaque: boolean;
}

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString('utf8');
}

function numeric(block: Buffer, start: number, length: number): number {
  if (block[start]! & 0x80) {
    // base-256, as GNU tar writes sizes past 8 GiB
    let value = 0;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + block[i]!;
    return value;
  }
  const text = field(block, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new Error(`bad number ${JSON.stringify(text)} in a tar header`);
  return parseInt(text, 8);
}

const FLAG_TYPES: Record<string, TarHeader['type']> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'chardev', '4': 'blockdev', '5': 'dir', '6': 'fifo' };

/** Pulls exact byte counts out of a stream. */
class Reader {
  readonly #source: AsyncIterator<Uint8Array | string>;
  #chunks: Buffer[] = [];
  #length = 0;
  #done = false;

  constructor(stream: NodeJS.ReadableStream) {
    this.#source = (stream as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
  }

  /** Up to `max` bytes (fewer only at the end of the stream; empty at the end). */
  async take(max: number): Promise<Buffer> {
    while (this.#length === 0 && !this.#done) {
      const next = await this.#source.next();
      if (next.done) this.#done = true;
      else {
        // Any byte chunks will do (a plain Uint8Array from a web stream included), as Buffers.
        const value = next.value;
        const chunk = typeof value === 'string' ? Buffer.from(value) : Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
        this.#chunks.push(chunk);
        this.#length += chunk.length;
      }
    }
    if (this.#length === 0) return Buffer.alloc(0);
    const first = this.#chunks[0]!;
    const part = first.subarray(0, Math.min(max, first.length));
    if (part.length === first.length) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(part.length);
    this.#length -= part.length;
    return part;
  }

  /** Exactly `size` bytes. @throws Error at a premature end */
  async exact(size: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let left = size; left > 0; ) {
      const part = await this.take(left);
      if (part.length === 0) throw new Error('the archive ends in the middle of an entry');
      parts.push(part);
      left -= part.length;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}

/**
 * Reads a tar stream entry by entry: `onEntry` gets each header and, for regular files, a reader
 * of exactly its data (which it must consume). Understands ustar, pax (`x`) and GNU long names.
 * @throws Error on a malformed archive (bad checksum, truncated data, global pax headers)
 */
export async function readTar(stream: NodeJS.ReadableStream, onEntry: (header: TarHeader, data: (sink: (chunk: Buffer) => Promise<void>) => Promise<void>) => Promise<void>): Promise<void> {
  const reader = new Reader(stream);
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const block = await reader.exact(BLOCK).catch(() => {
      throw new Error('the archive ends without its end-of-archive blocks');
    });
    if (block.every((byte) => byte === 0)) return;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i]!;
    if (sum !== numeric(block, 148, 8)) throw new Error('a tar header has a bad checksum');
    const flag = String.fromCharCode(block[156]!);
    let size = numeric(block, 124, 12);
    if (flag === 'x' || flag === 'L' || flag === 'K') {
      if (size > 1024 * 1024) throw new Error('an oversized extended header');
      const data = await reader.exact(size);
      await reader.exact(padding(size).length);
      if (flag === 'L') longName = field(data, 0, data.length);
      else if (flag === 'K') longLink = field(data, 0, data.length);
      else pax = { ...pax, ...parsePax(data) };
      continue;
    }
    if (flag === 'g') throw new Error('global pax headers are not accepted');
    const prefix = block.subarray(257, 263).toString('latin1') === 'ustar\0' ? field(block, 345, 155) : '';
    const name = pax.path ?? longName ?? (prefix ? `${prefix}/${field(block, 0, 100)}` : field(block, 0, 100));
    if (pax.size !== undefined) {
      if (!/^\d+$/.test(pax.size)) throw new Error('a bad pax size');
      size = Number(pax.size);
    }
    const header: TarHeader = {
      path: name,
      type: FLAG_TYPES[flag] ?? 'other',
      mode: numeric(block, 100, 8),
      size,
      mtime: numeric(block, 136, 12),
      link: pax.linkpath ?? longLink ?? field(block, 157, 100),
      devmajor: numeric(block, 329, 8),
      devminor: numeric(block, 337, 8),
      opaque: pax[OPAQUE_RECORD] === 'y',
    };
    pax = {};
    longName = undefined;
    longLink = undefined;
    // Only regular files carry data in the archives we accept; anything else with a size is
    // consumed so a bad entry is reported as itself, not as a checksum error further on.
    const dataSize = header.type === 'file' || header.type === 'other' ? size : 0;
    let consumed = false;
    await onEntry(header, async (sink) => {
      consumed = true;
      for (let left = dataSize; left > 0; ) {
        const part = await reader.take(Math.min(left, 1024 * 1024));
        if (part.length === 0) throw new Error('the archive ends in the middle of a file');
        await sink(part);
        left -= part.length;
      }
    });
    if (!consumed) for (let left = dataSize; left > 0; left -= (await reader.exact(Math.min(left, 1024 * 1024))).length);
    await reader.exact(padding(dataSize).length);
  }
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    const length = Number(data.subarray(offset, space).toString('latin1'));
    if (space < 0 || !Number.isInteger(length) || length <= 0 || offset + length > data.length) throw new Error('a malformed pax record');
    const record = data.subarray(space + 1, offset + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq < 0) throw new Error('a malformed pax record');
    out[record.slice(0, eq)] = record.slice(eq + 1);
    offset += length;
  }
  return out;
}
