/**
 * Host-side system calls node cannot make (mount, umount2, open_tree/mount_setattr/move_mount for
 * idmapped layers, trusted xattrs, whiteout device nodes), made by a small Perl script (see
 * overlay-helper.pl). Everything here runs as root on the host and never on a sandbox's behalf
 * with a path it chose: the store builds every path from ids it validated.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findExecutable } from '../../probe.js';

const SCRIPT = fileURLToPath(new URL('./overlay-helper.pl', import.meta.url));
/** Separates the arguments of one batch request (never part of a path or option the store makes). */
const FIELD_SEPARATOR = '\x1f';

/** System call numbers the script needs, per architecture (the new mount API is shared). */
const NUMBERS: Readonly<Record<string, string>> = {
  x64: 'mount=165,umount2=166,unshare=272,open_tree=428,move_mount=429,mount_setattr=442,lgetxattr=192,lsetxattr=189,mknodat=259,close=3,exit_group=231',
  arm64: 'mount=40,umount2=39,unshare=97,open_tree=428,move_mount=429,mount_setattr=442,lgetxattr=9,lsetxattr=6,mknodat=33,close=57,exit_group=94',
};

/** The perl binary and this architecture's numbers, or undefined when the helper cannot run here. */
export function helperCommand(): [string, string] | undefined {
  const perl = findExecutable('perl');
  const numbers = NUMBERS[process.arch];
  return perl && numbers ? [perl, numbers] : undefined;
}

function run(args: string[], input?: string): Promise<void> {
  const command = helperCommand();
  if (!command) return Promise.reject(new Error('perl is needed to mount overlays'));
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], [SCRIPT, command[1], ...args], { stdio: ['pipe', 'ignore', 'pipe'], env: {} });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(stderr.trim() || `overlay helper exited with ${code}`))));
    // A helper that exits before reading its input (it failed at once) makes this write EPIPE:
    // its exit status says what went wrong, and an unhandled stream error would end the server.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** How to show layers owned by `inner` as owned by `outer`: an idmapped clone of `layers` at `lower`. */
export interface LayerIdmap {
  layers: string;
  lower: string;
  inner: number;
  outer: number;
}

/**
 * Mounts an overlay at `merged` (nosuid, nodev) with `options`, whose relative lower paths are
 * resolved from `cwd`; with `idmap`, first clones the layers directory as an idmapped mount.
 * @throws Error with the kernel's complaint
 */
export function mountOverlay(cwd: string, merged: string, options: string, idmap?: LayerIdmap): Promise<void> {
  const extra = idmap ? [idmap.layers, idmap.lower, String(idmap.inner), String(idmap.outer)] : [];
  return run(['mount', cwd, merged, options, ...extra]);
}

/** Unmounts each path that is mounted (a busy one is detached), in order. */
export function unmountAll(paths: readonly string[]): Promise<void> {
  return run(['umount', ...paths]);
}

/**
 * One helper process answering many xattr and whiteout requests in order (one spawn per
 * checkpoint or import instead of one per directory).
 */
export class OverlayAttrs {
  readonly #child;
  readonly #waiting: ((line: string) => void)[] = [];
  #buffer = '';
  #failed: Error | undefined;
  #onClose: (() => boolean) | undefined;

  /** @throws Error when perl is missing */
  constructor() {
    const command = helperCommand();
    if (!command) throw new Error('perl is needed to read overlay attributes');
    this.#child = spawn(command[0], [SCRIPT, command[1], 'batch'], { stdio: ['pipe', 'pipe', 'pipe'], env: {} });
    this.#child.stdout.setEncoding('utf8');
    this.#child.stdout.on('data', (chunk: string) => {
      this.#buffer += chunk;
      for (let nl = this.#buffer.indexOf('\n'); nl >= 0; nl = this.#buffer.indexOf('\n')) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        this.#waiting.shift()?.(line);
      }
    });
    const fail = (err: Error) => {
      this.#failed ??= err;
      for (const waiter of this.#waiting.splice(0)) waiter(`err helper: ${err.message}`);
    };
    this.#child.once('error', fail);
    this.#child.once('close', () => fail(new Error('the overlay helper exited')));
    this.#child.stdin.on('error', () => {});
  }

  #ask(op: string, path: string): Promise<string> {
    if (this.#failed) return Promise.reject(this.#failed);
    if (path.includes('\0')) return Promise.reject(new Error('a path with a NUL byte'));
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#child.stdin.write(`${op}${path}\0`);
    });
  }

  async #do(op: string, path: string): Promise<void> {
    const answer = await this.#ask(op, path);
    if (answer !== 'ok') throw new Error(`overlay helper: ${op} ${path}: ${answer}`);
  }

  /** Whether the directory carries the overlay's opaque mark. */
  async isOpaque(path: string): Promise<boolean> {
    const answer = await this.#ask('g', path);
    if (answer.startsWith('err')) throw new Error(`overlay helper: ${answer}`);
    return answer === '1';
  }

  /** Marks a directory opaque (it hides whatever lower layers hold at its path). */
  markOpaque(path: string): Promise<void> {
    return this.#do('o', path);
  }

  /** Creates a whiteout (character device 0:0) at `path`, which hides lower layers' entry. */
  whiteout(path: string): Promise<void> {
    return this.#do('w', path);
  }

  /** As `mountOverlay`, by this helper (no process to start). @throws Error with the kernel's complaint */
  async mount(cwd: string, merged: string, options: string, idmap?: LayerIdmap): Promise<void> {
    const fields = [cwd, merged, options, ...(idmap ? [idmap.layers, idmap.lower, String(idmap.inner), String(idmap.outer)] : [])];
    await this.#batchCall('m', fields);
  }

  /** As `unmountAll`, by this helper. */
  async unmount(paths: readonly string[]): Promise<void> {
    if (paths.length > 0) await this.#batchCall('u', paths);
  }

  async #batchCall(op: string, fields: readonly string[]): Promise<void> {
    if (fields.some((field) => field.includes(FIELD_SEPARATOR))) throw new Error('a field holds the field separator');
    const answer = await this.#ask(op, fields.join(FIELD_SEPARATOR));
    if (answer !== 'ok') throw new Error(answer.replace(/^err (helper: )?/, ''));
  }

  /** Whether the helper still answers (it has not exited or failed). */
  get usable(): boolean {
    return this.#failed === undefined;
  }

  /**
   * Whether the helper keeps node's event loop alive: a helper started ahead of need must not
   * hold a process open that has nothing else to do.
   */
  keepAlive(on: boolean): void {
    for (const handle of [this.#child, this.#child.stdin, this.#child.stdout, this.#child.stderr]) {
      const refable = handle as unknown as { ref?: () => void; unref?: () => void };
      if (on) refable.ref?.();
      else refable.unref?.();
    }
  }

  /** Ends the helper process, unless the callback given to `whenClosed` keeps it (for reuse). */
  close(): void {
    const kept = this.#onClose?.() === true;
    this.#onClose = undefined;
    if (!kept) this.#child.stdin.end();
  }

  /** Calls `then` once, when `close` is called; `then` returns true to keep the process running. */
  whenClosed(then: () => boolean): void {
    this.#onClose = then;
  }
}
