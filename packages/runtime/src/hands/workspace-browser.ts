import { constants } from 'node:fs';
import { open, readdir, readlink, lstat, type FileHandle } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { invalidRequest, notFound } from '@longhand/protocol';
import type { WorkspaceMount } from '@longhand/sandbox';

export interface WorkspaceEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  mtime: string;
}

const ROOTS = [
  ['/workspace', 'workspace'],
  ['/home/agent', 'home'],
  ['/mnt/session/outputs', 'outputs'],
  ['/mnt/session/uploads', 'uploads'],
] as const;

/** Sandbox path → the host directory behind its root, and the path below it. */
function locate(mount: WorkspaceMount, sandboxPath: string): { root: string; host: string; path: string } {
  if (!sandboxPath.startsWith('/')) throw invalidRequest('path must be an absolute path inside the sandbox, such as /workspace');
  const path = posix.normalize(sandboxPath).replace(/\/$/, '') || '/';
  for (const [prefix, key] of ROOTS) {
    if (path === prefix || path.startsWith(`${prefix}/`)) {
      const root = mount[key];
      return { root, host: join(root, path.slice(prefix.length)), path };
    }
  }
  throw invalidRequest(`path must be under ${ROOTS.map(([p]) => p).join(', ')}`);
}

/**
 * Opens a host path for reading and proves, on the descriptor itself, that it lies inside
 * `root`: a symlink swapped in by a running agent between any check and the open cannot lead
 * the server (which may run as root) to a file outside the workspace.
 */
async function openInside(root: string, host: string, directory: boolean): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(host, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | (directory ? constants.O_DIRECTORY : 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw notFound('workspace path', host.slice(root.length) || '/');
    if (code === 'ELOOP') throw invalidRequest('the path is a symbolic link; links are listed, not followed');
    throw error;
  }
  const real = await readlink(`/proc/self/fd/${handle.fd}`);
  if (real !== root && !real.startsWith(`${root}/`)) {
    await handle.close();
    throw invalidRequest('the path leads outside the workspace');
  }
  return handle;
}

/**
 * Read-only access to a session's files from the API (the console's workspace browser). Works
 * whether or not the session's sandbox is running, and never starts it.
 */
export class WorkspaceBrowser {
  constructor(private readonly mountOf: (sessionId: string) => Promise<WorkspaceMount>) {}

  /** The entries of a directory, directories first, then by name. */
  async list(sessionId: string, sandboxPath: string): Promise<WorkspaceEntry[]> {
    const { root, host, path } = locate(await this.mountOf(sessionId), sandboxPath);
    const handle = await openInside(root, host, true);
    try {
      const names = await readdir(`/proc/self/fd/${handle.fd}`);
      const entries: WorkspaceEntry[] = [];
      for (const name of names) {
        const info = await lstat(`/proc/self/fd/${handle.fd}/${name}`).catch(() => undefined);
        if (!info) continue;
        const type = info.isSymbolicLink() ? 'symlink' : info.isDirectory() ? 'directory' : info.isFile() ? 'file' : 'other';
        entries.push({ path: posix.join(path, name), type, size: info.isFile() ? info.size : 0, mtime: info.mtime.toISOString() });
      }
      return entries.sort((a, b) => (a.type === 'directory') !== (b.type === 'directory') ? (a.type === 'directory' ? -1 : 1) : a.path.localeCompare(b.path));
    } finally {
      await handle.close();
    }
  }

  /** A file's bytes as a stream, with its size. */
  async read(sessionId: string, sandboxPath: string): Promise<{ path: string; size: number; body: ReadableStream<Uint8Array> }> {
    const { root, host, path } = locate(await this.mountOf(sessionId), sandboxPath);
    const handle = await openInside(root, host, false);
    const info = await handle.stat();
    if (!info.isFile()) {
      await handle.close();
      throw invalidRequest(`${path} is not a regular file`);
    }
    return { path, size: info.size, body: streamClosing(handle) };
  }
}

const CHUNK = 64 * 1024;

/**
 * The file's bytes as a web stream that closes the descriptor when it ends, fails or is
 * cancelled (a download the client dropped). `FileHandle.readableWebStream` leaves it open
 * until garbage collection, one descriptor per preview.
 */
function streamClosing(handle: FileHandle): ReadableStream<Uint8Array> {
  const close = () => handle.close().catch(() => {});
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const buffer = new Uint8Array(CHUNK);
        const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
        if (bytesRead === 0) {
          await close();
          controller.close();
          return;
        }
        controller.enqueue(buffer.subarray(0, bytesRead));
      } catch (error) {
        await close();
        controller.error(error);
      }
    },
    cancel: close,
  });
}
