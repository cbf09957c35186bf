import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What this machine knows of a session's local files relative to its recorded stack:
 * `clean` — they are exactly `layers` with nothing written on top (the fast path: nothing to
 * fetch or restore); `open` — a sandbox may have written since (after a crash they are dropped,
 * not trusted). No marker means nothing is known: the files are restored from the record.
 */
export interface SyncMarker {
  state: 'clean' | 'open';
  layers: string[] | null;
}

/** One small file per session under a directory of this machine's data dir. */
export class SyncMarkers {
  constructor(private readonly dir: string) {}

  async read(sessionId: string): Promise<SyncMarker | undefined> {
    try {
      return JSON.parse(await readFile(this.path(sessionId), 'utf8')) as SyncMarker;
    } catch {
      return undefined;
    }
  }

  /** Replaces the marker (temporary file and rename: a crash leaves the old one or the new one). */
  async write(sessionId: string, marker: SyncMarker): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const temp = `${this.path(sessionId)}.tmp-${process.pid}`;
    await writeFile(temp, JSON.stringify(marker), { flush: true });
    await rename(temp, this.path(sessionId));
  }

  async delete(sessionId: string): Promise<void> {
    await rm(this.path(sessionId), { force: true });
  }

  private path(sessionId: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(sessionId)) throw new Error(`invalid session id ${sessionId}`);
    return join(this.dir, `${sessionId}.json`);
  }
}
