/**
 * Builds tar archives byte by byte, so tests can write the hostile ones a real tar tool refuses
 * to produce (absolute names, `..`, devices, broken checksums).
 */

/** One raw entry. */
export interface RawEntry {
  name: string;
  /** `0` file, `1` hard link, `2` symlink, `3` char device, `4` block device, `5` dir, `6` FIFO. */
  type: '0' | '1' | '2' | '3' | '4' | '5' | '6';
  data?: string;
  link?: string;
  mode?: number;
  dev?: [number, number];
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** One header block (ustar, owner 1000, mtime 0). */
export function rawHeader(entry: RawEntry, size: number): Buffer {
  const block = Buffer.alloc(512);
  block.write(entry.name, 0, 100, 'utf8');
  block.write(octal(entry.mode ?? (entry.type === '5' ? 0o755 : 0o644), 8), 100, 'latin1');
  block.write(octal(1000, 8), 108, 'latin1');
  block.write(octal(1000, 8), 116, 'latin1');
  block.write(octal(size, 12), 124, 'latin1');
  block.write(octal(0, 12), 136, 'latin1');
  block.write(entry.type, 156, 'latin1');
  block.write(entry.link ?? '', 157, 100, 'utf8');
  block.write('ustar\0', 257, 'latin1');
  block.write('00', 263, 'latin1');
  block.write(octal(entry.dev?.[0] ?? 0, 8), 329, 'latin1');
  block.write(octal(entry.dev?.[1] ?? 0, 8), 337, 'latin1');
  block.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

/** A whole archive of `entries`, with its two end blocks. */
export function buildTar(entries: readonly RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = Buffer.from(entry.data ?? '');
    parts.push(rawHeader(entry, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
