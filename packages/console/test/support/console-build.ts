import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The console package directory and its build output. */
export const CONSOLE_DIR = join(import.meta.dirname, '..', '..');
export const DIST_DIR = join(CONSOLE_DIR, 'dist');
const LOCK = join(CONSOLE_DIR, '.build-lock');

function newestMtime(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** True when `dist/index.html` is newer than every source the build reads. */
function isFresh(): boolean {
  const index = join(DIST_DIR, 'index.html');
  if (!existsSync(index)) return false;
  const built = statSync(index).mtimeMs;
  const sources = [join(CONSOLE_DIR, 'src'), join(CONSOLE_DIR, 'index.html'), join(CONSOLE_DIR, 'vite.config.ts'), join(CONSOLE_DIR, 'package.json')];
  return sources.every((source) => newestMtime(source) <= built);
}

function runBuild(): Promise<void> {
  return new Promise((resolve, reject) => {
    const vite = join(CONSOLE_DIR, '..', '..', 'node_modules', 'vite', 'bin', 'vite.js');
    const child = spawn(process.execPath, [vite, 'build'], { cwd: CONSOLE_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += String(chunk)));
    child.stderr.on('data', (chunk) => (output += String(chunk)));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vite build failed (${code}):\n${output}`))));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Builds the console unless `dist/` is already newer than its sources. Test files run in
 * parallel workers, so a lock directory makes one of them build while the others wait.
 */
export async function ensureConsoleBuilt(): Promise<string> {
  for (let waited = 0; !isFresh(); waited += 200) {
    try {
      mkdirSync(LOCK);
    } catch {
      // Another worker builds; a lock older than two minutes was left by a dead one.
      if (Date.now() - statSync(LOCK, { throwIfNoEntry: false })!.mtimeMs > 120_000) rmSync(LOCK, { recursive: true, force: true });
      if (waited > 180_000) throw new Error('gave up waiting for another worker to build the console');
      await sleep(200);
      continue;
    }
    try {
      if (!isFresh()) await runBuild();
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
  return DIST_DIR;
}
