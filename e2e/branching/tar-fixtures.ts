import { createHash } from 'node:crypto';

/** One entry of a tar archive, for building and taking apart archives in tests. */
export interface Entry {
  name: string;
  /** `0` regular file, `2` symlink, `1` hard link, `5` directory, `3` character device. */
  type: string;
  data: Buffer;
  linkname?: string;
  mode?: number;
}

function field(value: string, width: number): Buffer {
  const out = Buffer.alloc(width);
  out.write(value.slice(0, width), 'utf8');
  return out;
}

function octal(value: number, width: number): Buffer {
  return field(`${value.toString(8).padStart(width - 1, '0')}\0`, width);
}

/** Builds a ustar archive from entries (any type, any name: tests need hostile ones). */
export function buildTar(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const header = Buffer.concat([
      field(entry.name, 100),
      octal(entry.mode ?? 0o644, 8),
      octal(1000, 8),
      octal(1000, 8),
      octal(entry.data.length, 12),
      octal(0, 12),
      Buffer.from('        '),
      field(entry.type, 1),
      field(entry.linkname ?? '', 100),
      field('ustar\u000000', 8),
      Buffer.alloc(512 - 265),
    ]);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    parts.push(header, entry.data, Buffer.alloc((512 - (entry.data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** Takes a ustar archive apart into its entries. */
export function parseTar(archive: Buffer): Entry[] {
  const entries: Entry[] = [];
  for (let offset = 0; offset + 512 <= archive.length; ) {
    const header = archive.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/[\0 ]/g, '') || '0', 8);
    const type = String.fromCharCode(header[156] || 0x30);
    const linkname = header.subarray(157, 257).toString('utf8').replace(/\0.*$/s, '');
    entries.push({ name, type, data: Buffer.from(archive.subarray(offset + 512, offset + 512 + size)), linkname });
    offset += 512 + size + ((512 - (size % 512)) % 512);
  }
  return entries;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
