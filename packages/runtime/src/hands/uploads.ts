import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { Sandbox } from '@longhand/sandbox';
import type { Session } from '@longhand/protocol';
import type { Caller } from '../caller.js';
import type { Files } from '../files/files.js';

const UPLOADS = '/mnt/session/uploads';

/**
 * Puts a session's file resources where they belong, once: files mounted under
 * `/mnt/session/uploads` go into the host directory the sandbox sees read-only there; files
 * mounted elsewhere are written into the sandbox when it first starts. A marker outside the
 * sandbox's view records that it was done, so a file the agent later changes is not overwritten.
 */
export class Uploads {
  constructor(
    private readonly files: Files,
    private readonly dir: (sessionId: string) => string,
  ) {}

  /** The host directory shown at `/mnt/session/uploads`, filled on first use. */
  async hostDir(caller: Caller, session: Session): Promise<string> {
    const base = this.dir(session.id);
    const uploads = join(base, 'uploads');
    const marker = join(base, 'uploads.done');
    if (await exists(marker)) return uploads;
    await mkdir(uploads, { recursive: true, mode: 0o755 });
    for (const resource of session.resources) {
      if (resource.type !== 'file' || !resource.mount_path.startsWith(`${UPLOADS}/`)) continue;
      const target = join(uploads, relative(UPLOADS, resource.mount_path));
      if (!target.startsWith(`${uploads}/`)) continue;
      await mkdir(dirname(target), { recursive: true, mode: 0o755 });
      await writeFile(target, await this.bytes(caller, resource.file_id), { mode: 0o644 });
    }
    await writeFile(marker, '');
    return uploads;
  }

  /** Writes file resources mounted outside the uploads directory into a started sandbox, once. */
  async placeOthers(caller: Caller, session: Session, sandbox: Sandbox): Promise<void> {
    const marker = join(this.dir(session.id), 'placed.done');
    if (await exists(marker)) return;
    for (const resource of session.resources) {
      if (resource.type !== 'file' || resource.mount_path.startsWith(`${UPLOADS}/`)) continue;
      await sandbox.writeFile(resource.mount_path, await this.bytes(caller, resource.file_id));
    }
    await mkdir(this.dir(session.id), { recursive: true });
    await writeFile(marker, '');
  }

  /** Whether `placeOthers` has run for the session on this machine. */
  isPlaced(sessionId: string): Promise<boolean> {
    return exists(join(this.dir(sessionId), 'placed.done'));
  }

  /** Records that the session's files hold its file resources already (they came in its layers). */
  async markPlaced(sessionId: string): Promise<void> {
    await mkdir(this.dir(sessionId), { recursive: true });
    await writeFile(join(this.dir(sessionId), 'placed.done'), '');
  }

  /** Gives a fork the parent's uploads (the files are the same; markers say they are in place). */
  async copy(parentId: string, childId: string): Promise<void> {
    const from = this.dir(parentId);
    const to = this.dir(childId);
    if (!(await exists(join(from, 'uploads.done')))) return;
    await mkdir(to, { recursive: true });
    await cp(join(from, 'uploads'), join(to, 'uploads'), { recursive: true, preserveTimestamps: true });
    await writeFile(join(to, 'uploads.done'), '');
    if (await exists(join(from, 'placed.done'))) await writeFile(join(to, 'placed.done'), '');
  }

  private async bytes(caller: Caller, fileId: string): Promise<Uint8Array> {
    const { body } = await this.files.download(caller, fileId);
    return new Uint8Array(await new Response(body).arrayBuffer());
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return true;
  } catch {
    return false;
  }
}
