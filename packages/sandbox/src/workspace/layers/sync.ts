/** Making what was written to a layer's storage durable. */
import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';

/** Runs syncfs(2) on the file system holding `path` (one journal commit for a whole layer). */
export function syncFileSystem(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sync', ['-f', path], { stdio: 'ignore', env: {} });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`sync -f ${path} exited with ${code}`))));
  });
}

/** Fsyncs a directory so a rename inside it is durable. */
export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
