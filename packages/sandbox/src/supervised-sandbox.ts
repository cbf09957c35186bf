/**
 * The `Sandbox` port on top of a supervisor process, whatever started it (bubblewrap or the
 * unsandboxed provider). It starts the supervisor on first use, starts it again after `suspend`
 * or after it died, and turns the protocol's answers into the port's types.
 */
import type { ProvidedSandbox } from './provider.js';
import { SandboxError, type ExecOptions, type FileInfo, type ProcessResult, type ShellResult } from './sandbox.js';
import type { SupervisorClient } from './supervisor-client.js';

/** A running supervisor as a provider launched it. */
export interface LaunchedSupervisor {
  /** The protocol connection to its supervisor, ready. */
  client: SupervisorClient;
  /** Kills every process of the sandbox and waits until they are gone; the files stay. */
  stop(): Promise<void>;
  /** Runs `work` with every process frozen (absent where the provider cannot freeze). */
  quiesce?<T>(work: () => Promise<T>): Promise<T>;
}

/** Defaults for calls that do not say. */
export interface CallDefaults {
  /** Shell and exec timeout. */
  timeoutMs: number;
  /** Output cap of shell and exec. */
  maxOutputBytes: number;
  /** Largest file `readFile` returns. */
  maxReadBytes: number;
  /** How long past a call's own timeout the host waits before declaring the supervisor wedged. */
  graceMs: number;
}

/** Two minutes per command, 1 MiB of output, 32 MiB files, 15 s of grace. */
export const DEFAULT_CALLS: CallDefaults = {
  timeoutMs: 120_000,
  maxOutputBytes: 1024 * 1024,
  maxReadBytes: 32 * 1024 * 1024,
  graceMs: 15_000,
};

/** How a provider describes one of its sandboxes. */
export interface SupervisedSandboxOptions {
  /** The sandbox id (the session's). */
  id: string;
  /** The working directory as the sandbox's processes see it. */
  workdir: string;
  /** The host uid its processes run as, when they have one of their own. */
  hostUid: number | undefined;
  /** Starts the supervisor and resolves once it is serving. */
  launch(): Promise<LaunchedSupervisor>;
  /** Overrides of `DEFAULT_CALLS`. */
  calls?: Partial<CallDefaults>;
}

/** The supervisor's answer to `shell` (the protocol's shape; see supervisor/supervisor.pl). */
export interface ShellAnswer {
  output: string;
  exitCode: number | null;
  timedOut: boolean;
  interrupted: boolean;
  truncated: boolean;
}

/** The supervisor's answer to `exec`: output as base64. */
export interface ExecAnswer {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  timedOut: boolean;
  interrupted: boolean;
  truncated: boolean;
}

/** A sandbox whose processes live under one supervisor. */
export class SupervisedSandbox implements ProvidedSandbox {
  readonly id: string;
  readonly workdir: string;
  readonly hostUid: number | undefined;
  #options: SupervisedSandboxOptions;
  #calls: CallDefaults;
  #running: LaunchedSupervisor | undefined;
  #starting: Promise<LaunchedSupervisor> | undefined;
  #stopping: Promise<void> | undefined;
  #closed = false;

  constructor(options: SupervisedSandboxOptions) {
    this.id = options.id;
    this.workdir = options.workdir;
    this.hostUid = options.hostUid;
    this.#options = options;
    this.#calls = { ...DEFAULT_CALLS, ...options.calls };
  }

  get state(): 'stopped' | 'running' | 'closed' {
    if (this.#closed && !this.#stopping) return 'closed';
    // A sandbox being stopped still has processes until its stop completes.
    return this.#running?.client.alive || this.#stopping ? 'running' : 'stopped';
  }

  async start(): Promise<void> {
    await this.#ensure();
  }

  get freezable(): boolean {
    return Boolean(this.#running?.quiesce);
  }

  async quiesce<T>(work: () => Promise<T>): Promise<T> {
    const running = this.#running;
    // Not running (or its processes are already being taken down): nothing can write.
    if (!running?.client.alive) return work();
    if (!running.quiesce) throw new SandboxError('unavailable', `sandbox ${this.id} cannot be frozen on this host (no cgroup freezer)`);
    return running.quiesce(work);
  }

  async shell(command: string, options: ExecOptions = {}): Promise<ShellResult> {
    if (options.signal?.aborted) return { output: '', exitCode: null, timedOut: false, interrupted: true, truncated: false };
    const timeoutMs = options.timeoutMs ?? this.#calls.timeoutMs;
    const answer = await this.#call<ShellAnswer>(
      'shell',
      { command, timeoutMs, maxOutputBytes: options.maxOutputBytes ?? this.#calls.maxOutputBytes },
      timeoutMs,
      options.signal,
    );
    return {
      output: answer.output,
      exitCode: answer.exitCode,
      timedOut: answer.timedOut,
      interrupted: answer.interrupted,
      truncated: answer.truncated,
    };
  }

  async restartShell(): Promise<void> {
    await this.#call('restartShell', {}, 0);
  }

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ProcessResult> {
    if (options.signal?.aborted) {
      return { stdout: new Uint8Array(), stderr: new Uint8Array(), exitCode: null, timedOut: false, interrupted: true, truncated: false };
    }
    const timeoutMs = options.timeoutMs ?? this.#calls.timeoutMs;
    const stdin = options.stdin === undefined ? undefined : Buffer.from(options.stdin).toString('base64');
    const answer = await this.#call<ExecAnswer>(
      'exec',
      { argv: [...argv], stdin, cwd: options.cwd, timeoutMs, maxOutputBytes: options.maxOutputBytes ?? this.#calls.maxOutputBytes },
      timeoutMs,
      options.signal,
    );
    return {
      stdout: new Uint8Array(Buffer.from(answer.stdout, 'base64')),
      stderr: new Uint8Array(Buffer.from(answer.stderr, 'base64')),
      exitCode: answer.exitCode,
      timedOut: answer.timedOut,
      interrupted: answer.interrupted,
      truncated: answer.truncated,
    };
  }

  async readFile(path: string, options: { maxBytes?: number } = {}): Promise<Uint8Array> {
    const maxBytes = Math.min(options.maxBytes ?? this.#calls.maxReadBytes, this.#calls.maxReadBytes);
    const answer = await this.#call<{ data: string }>('readFile', { path, maxBytes }, 0);
    return new Uint8Array(Buffer.from(answer.data, 'base64'));
  }

  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    await this.#call('writeFile', { path, data: Buffer.from(data).toString('base64') }, 0);
  }

  async stat(path: string): Promise<FileInfo | undefined> {
    const answer = await this.#call<{ info: FileInfo | null }>('stat', { path }, 0);
    return answer.info ?? undefined;
  }

  async suspend(): Promise<void> {
    if (this.#starting) await this.#starting.catch(() => undefined);
    const running = this.#running;
    this.#running = undefined;
    if (running) await this.#stop(running);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.suspend();
  }

  async #call<T>(op: string, params: Record<string, unknown>, timeoutMs: number, signal?: AbortSignal): Promise<T> {
    const running = await this.#ensure();
    try {
      return await running.client.request<T>(op, params, { deadlineMs: timeoutMs + this.#calls.graceMs, signal });
    } catch (err) {
      // A supervisor that died or stopped answering is replaced on the next call.
      if (err instanceof SandboxError && err.code === 'unavailable' && this.#running === running) {
        this.#running = undefined;
        await this.#stop(running);
      }
      throw err;
    }
  }

  async #ensure(): Promise<LaunchedSupervisor> {
    if (this.#closed) throw new SandboxError('closed', `sandbox ${this.id} is closed`);
    if (this.#running?.client.alive) return this.#running;
    if (this.#running) {
      const dead = this.#running;
      this.#running = undefined;
      await this.#stop(dead);
    }
    if (this.#stopping) await this.#stopping;
    this.#starting ??= this.#options.launch().finally(() => {
      this.#starting = undefined;
    });
    const running = await this.#starting;
    if (this.#closed) {
      await this.#stop(running);
      throw new SandboxError('closed', `sandbox ${this.id} is closed`);
    }
    this.#running = running;
    return running;
  }

  #stop(running: LaunchedSupervisor): Promise<void> {
    const stopping = running.stop().finally(() => {
      if (this.#stopping === stopping) this.#stopping = undefined;
    });
    this.#stopping = stopping;
    return stopping;
  }
}
