/**
 * Copies that keep a sparse file sparse. A sandbox can make a file of any length that costs
 * nothing (`truncate -s 1T`); a copy that writes its holes out as zeros turns that into as much
 * disk on the host, from one command. Node's copyFile writes holes out (sendfile), and Node has
 * no lseek(SEEK_DATA), so sparse files are copied by `cp --sparse=always`, which punches a hole
 * for every run of zeros it meets; files that are not sparse keep the fast path (a reflink where
 * the file system has them).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { copyFile, lstat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/** Whether a file has fewer blocks than its length needs: it has holes. */
export function isSparse(st: { size: number; blocks: number }): boolean {
  return st.blocks * 512 < st.size;
}

/**
 * Copies regular file `source` to `target` (which must not exist), holes kept as holes. The
 * target's mode and times are the caller's to set.
 * @param known the source's size and blocks when the caller has just looked (saves an lstat)
 */
export async function copyKeepingHoles(source: string, target: string, known?: { size: number; blocks: number }): Promise<void> {
  const st = known ?? (await lstat(source));
  if (!isSparse(st)) {
    await copyFile(source, target, constants.COPYFILE_EXCL);
    return;
  }
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    // --no-clobber keeps COPYFILE_EXCL's promise not to overwrite; the caller checks it is absent.
    const child = spawn('cp', ['--sparse=always', '--no-dereference', '--no-clobber', '--', source, target], { stdio: ['ignore', 'ignore', 'pipe'], env: { LC_ALL: 'C' } });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`cp ${source}: ${stderr.trim() || `exit ${code}`}`))));
  });
}

/** Zeros to compare chunks with; grown to the largest chunk seen. */
let zeros = Buffer.alloc(64 * 1024);

function allZero(chunk: Uint8Array): boolean {
  if (chunk.length > zeros.length) zeros = Buffer.alloc(chunk.length);
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).equals(zeros.subarray(0, chunk.length));
}

/**
 * A writer of a file's data, in order, that leaves chunks of zeros as holes: `write` each chunk,
 * then `finish` to give the file its full length.
 */
export class HoleyWriter {
  #position = 0;

  constructor(private readonly handle: FileHandle) {}

  async write(chunk: Uint8Array): Promise<void> {
    if (!allZero(chunk)) {
      let done = 0;
      while (done < chunk.length) {
        const { bytesWritten } = await this.handle.write(chunk, done, chunk.length - done, this.#position + done);
        done += bytesWritten;
      }
    }
    this.#position += chunk.length;
  }

  /** Sets the length: trailing zeros that were skipped become a hole at the end. */
  async finish(): Promise<void> {
    await this.handle.truncate(this.#position);
  }
}
