/**
 * The Sandbox port: what tools and the harness may do with a session's hands. Everything here
 * happens inside the sandbox's view of the world; nothing gives access to the host.
 *
 * Paths are sandbox paths: absolute (`/workspace/src/a.ts`) or relative to `workdir`.
 */

export interface ExecOptions {
  /** Kill the command (and everything it started) after this long. */
  timeoutMs?: number;
  /** Aborting kills the command at once (used for `user.interrupt`). */
  signal?: AbortSignal;
  /** Output beyond this is dropped and the result says `truncated`. */
  maxOutputBytes?: number;
  /** Standard input for `exec` (shell commands always read /dev/null). */
  stdin?: string | Uint8Array;
  /** Working directory for `exec`; defaults to `workdir`. */
  cwd?: string;
}

export interface ShellResult {
  /** stdout and stderr interleaved as produced, decoded as UTF-8. */
  output: string;
  /** `null` when the command did not finish (timed out, interrupted, shell died). */
  exitCode: number | null;
  timedOut: boolean;
  interrupted: boolean;
  truncated: boolean;
}

export interface ProcessResult {
  stdout: Uint8Array;
  stderr: Uint8Array;
  exitCode: number | null;
  timedOut: boolean;
  interrupted: boolean;
  truncated: boolean;
}

export interface FileInfo {
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  mtimeMs: number;
}

/** A running sandbox of one session. Cheap to call repeatedly; every call is confined. */
export interface Sandbox {
  readonly id: string;
  /** The working directory inside the sandbox, `/workspace`. */
  readonly workdir: string;

  /**
   * Runs `command` in the session's persistent bash: the working directory and exported
   * variables carry over between calls. Standard input is /dev/null; background jobs do not
   * hold the call open.
   */
  shell(command: string, options?: ExecOptions): Promise<ShellResult>;
  /** Replaces the persistent shell with a fresh one (cwd back to `workdir`). */
  restartShell(): Promise<void>;
  /** Runs one process from argv (no shell), inside the sandbox. */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ProcessResult>;

  /**
   * Reads a file. Only paths under the sandbox's file roots (the workspace, home, and the
   * session mounts) are allowed; `..` and symlinks cannot lead outside them.
   * @throws SandboxError `not_found`, `is_directory`, `outside_workspace`, `too_large`
   */
  readFile(path: string, options?: { maxBytes?: number }): Promise<Uint8Array>;
  /** Writes a whole file, creating parent directories. Same confinement as `readFile`. */
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  /** Information about a path without following a final symlink; undefined when absent. */
  stat(path: string): Promise<FileInfo | undefined>;

  /** Stops every process of the sandbox; its files stay. The next call starts it again. */
  suspend(): Promise<void>;
  /** Stops it for good (the session is gone or the process is shutting down). */
  close(): Promise<void>;
}

export type SandboxErrorCode =
  | 'not_found'
  | 'is_directory'
  | 'outside_workspace'
  | 'too_large'
  | 'unavailable'
  | 'closed'
  /** A write to a read-only location (`/mnt/session/uploads`, a read-only file system). */
  | 'read_only'
  /** Any other failure of a file operation (permissions, a full disk, a special file). */
  | 'io_error'
  /** A layer archive that breaks a rule (a path leading out, a device, a wrong id): nothing was kept. */
  | 'invalid_archive';

/** Local errors of the sandbox package, each with a code and whether a retry may help. */
export class SandboxError extends Error {
  constructor(
    readonly code: SandboxErrorCode,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'SandboxError';
  }
}
