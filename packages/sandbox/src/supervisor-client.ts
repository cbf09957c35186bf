/**
 * The host's end of the supervisor protocol (see `supervisor/supervisor.pl`): newline-delimited
 * JSON over a child process's stdin/stdout, many requests in flight, matched by id.
 *
 * Everything the supervisor says is untrusted (the sandbox's processes run as the same uid and can
 * reach its pipes through /proc): lines are size-capped and a malformed one ends the sandbox.
 */
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { SandboxError, type SandboxErrorCode } from './sandbox.js';

/** The supervisor's source directory in this package (Perl, run as is). */
export const SUPERVISOR_SOURCE_DIR = fileURLToPath(new URL('./supervisor/', import.meta.url));

/** The supervisor's first message. */
export interface SupervisorReady {
  /** The supervisor's pid as the sandbox numbers it (2 inside bubblewrap). */
  pid: number;
  /** The port its egress relay listens on, when it has one. */
  proxyPort?: number;
}

/** Options of one request. */
export interface RequestOptions {
  /** Aborting sends `cancel` for this request; the supervisor then answers with `interrupted`. */
  signal?: AbortSignal;
  /** If no answer comes within this long, the supervisor is considered wedged. */
  deadlineMs: number;
}

type SupervisorChild = ChildProcessByStdio<Writable, Readable, Readable>;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

const KNOWN_CODES = new Set<SandboxErrorCode>(['not_found', 'is_directory', 'outside_workspace', 'too_large', 'read_only', 'io_error']);
const STDERR_TAIL_BYTES = 8192;

/** Talks to one supervisor process; dies with it. */
export class SupervisorClient {
  /** Resolves when the supervisor is serving; rejects if it exits first. */
  readonly ready: Promise<SupervisorReady>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #partial: string[] = [];
  #partialLength = 0;
  #stderr = '';
  #alive = true;
  #failure: string | undefined;
  #onReady!: (ready: SupervisorReady) => void;
  #onReadyFailed!: (error: Error) => void;

  /**
   * @param child the supervisor (or the bwrap wrapping it) with piped stdio
   * @param maxLineBytes a longer line from the supervisor is a protocol violation
   */
  constructor(
    readonly child: SupervisorChild,
    readonly maxLineBytes = 192 * 1024 * 1024,
  ) {
    this.ready = new Promise<SupervisorReady>((resolve, reject) => {
      this.#onReady = resolve;
      this.#onReadyFailed = reject;
    });
    this.ready.catch(() => {});
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.#onData(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_TAIL_BYTES);
    });
    child.stdin.on('error', () => {});
    this.exited = new Promise<void>((resolve) => {
      child.once('close', () => resolve());
      child.once('error', (err) => {
        this.#failure ??= err.message;
        resolve();
      });
    });
    void this.exited.then(() => this.#shutDown(this.#failure ?? 'the sandbox stopped'));
  }

  /** Whether the process is still there. */
  get alive(): boolean {
    return this.#alive;
  }

  /** The last few kilobytes the supervisor (or bwrap) wrote to stderr, for error messages. */
  get stderrTail(): string {
    return this.#stderr.trim();
  }

  /**
   * Sends one request and resolves with its result.
   * @throws SandboxError with the supervisor's code, or `unavailable` (retryable) if the process
   *   ends or misses the deadline.
   */
  request<T>(op: string, params: Record<string, unknown>, options: RequestOptions): Promise<T> {
    if (!this.#alive) return Promise.reject(new SandboxError('unavailable', this.#failure ?? 'the sandbox stopped', true));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => this.#send({ id: this.#nextId++, op: 'cancel', target: id });
      const timer = setTimeout(() => {
        this.fail(`the sandbox did not answer a ${op} request within ${options.deadlineMs} ms`);
      }, options.deadlineMs);
      const done = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.#pending.delete(id);
      };
      this.#pending.set(id, {
        resolve: (value) => {
          done();
          resolve(value as T);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      });
      this.#send({ id, op, ...params });
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Gives up on the supervisor: pending requests fail with `reason`; the caller kills it. */
  fail(reason: string): void {
    this.#failure ??= reason;
    this.#shutDown(reason);
    this.child.stdin.destroy();
  }

  #send(message: object): void {
    if (this.#alive) this.child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  #onData(chunk: string): void {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      this.#partial.push(chunk.slice(start, nl));
      const line = this.#partial.join('');
      this.#partial = [];
      this.#partialLength = 0;
      start = nl + 1;
      this.#onLine(line);
    }
    if (start < chunk.length) {
      this.#partial.push(chunk.slice(start));
      this.#partialLength += chunk.length - start;
      if (this.#partialLength > this.maxLineBytes) this.fail('the sandbox sent an oversized message');
    }
  }

  #onLine(line: string): void {
    if (line.trim() === '') return;
    let message: { id?: unknown; ok?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown }; event?: unknown };
    try {
      message = JSON.parse(line);
    } catch {
      this.fail('the sandbox sent a malformed message');
      return;
    }
    if (message.event === 'ready') {
      const ready = message as { pid?: unknown; proxyPort?: unknown };
      this.#onReady({ pid: Number(ready.pid), ...(typeof ready.proxyPort === 'number' ? { proxyPort: ready.proxyPort } : {}) });
      return;
    }
    const pending = typeof message.id === 'number' ? this.#pending.get(message.id) : undefined;
    if (!pending) return;
    if (message.ok === true) {
      pending.resolve(message.result);
      return;
    }
    const code = String(message.error?.code ?? 'io_error') as SandboxErrorCode;
    pending.reject(new SandboxError(KNOWN_CODES.has(code) ? code : 'io_error', String(message.error?.message ?? 'failed')));
  }

  #shutDown(reason: string): void {
    if (!this.#alive) return;
    this.#alive = false;
    const detail = this.stderrTail ? `${reason}: ${this.stderrTail}` : reason;
    this.#onReadyFailed(new SandboxError('unavailable', detail, true));
    for (const pending of [...this.#pending.values()]) pending.reject(new SandboxError('unavailable', reason, true));
    this.#pending.clear();
  }
}
