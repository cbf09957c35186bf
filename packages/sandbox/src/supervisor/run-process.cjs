'use strict';
// One-off processes from argv (no shell): `exec` of the Sandbox port.

const { spawn } = require('node:child_process');
const { constants } = require('node:os');
const { OutputCapture } = require('./output-capture.cjs');
const { killSession } = require('./process-tree.cjs');

/**
 * @typedef {{ stdout: Buffer, stderr: Buffer, exitCode: number | null, timedOut: boolean,
 *   interrupted: boolean, truncated: boolean }} RunResult
 */

/**
 * Runs `argv` in its own session, feeding `stdin`, and kills the whole session on timeout or
 * abort. A missing or non-executable program is reported the way a shell would (127 / 126), so
 * callers handle one shape of result.
 *
 * @param {string[]} argv
 * @param {{ cwd: string, env: NodeJS.ProcessEnv, stdin?: Buffer, timeoutMs: number,
 *   maxOutputBytes: number, signal?: AbortSignal, sessions: Set<number> }} options
 *   `sessions` holds the session ids of running processes, so the shell's cleanup spares them.
 * @returns {Promise<RunResult>}
 */
function runProcess(argv, options) {
  return new Promise((resolve) => {
    const stdout = new OutputCapture(options.maxOutputBytes);
    const stderr = new OutputCapture(options.maxOutputBytes);
    let timedOut = false;
    let interrupted = false;
    /** @type {NodeJS.Timeout | undefined} */
    let timer;
    let done = false;
    const child = spawn(argv[0] ?? '', argv.slice(1), {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const pid = child.pid;
    if (pid) options.sessions.add(pid);
    const stop = () => {
      if (pid) killSession(pid);
    };
    const onAbort = () => {
      interrupted = true;
      stop();
    };
    const finish = (/** @type {number | null} */ exitCode) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      // Whatever it left running (daemons still in its session) goes too.
      stop();
      if (pid) options.sessions.delete(pid);
      resolve({
        stdout: stdout.bytes(),
        stderr: stderr.bytes(),
        exitCode: timedOut || interrupted ? null : exitCode,
        timedOut,
        interrupted,
        truncated: stdout.truncated || stderr.truncated,
      });
    };
    child.on('error', (err) => {
      const code = /** @type {{code?: string}} */ (err).code;
      stderr.push(Buffer.from(`${argv[0]}: ${code === 'ENOENT' ? 'command not found' : err.message}\n`));
      finish(code === 'ENOENT' ? 127 : 126);
    });
    child.stdout.on('data', (chunk) => stdout.push(chunk));
    child.stderr.on('data', (chunk) => stderr.push(chunk));
    // `close` rather than `exit`: all output has been read by then. A background child holding
    // the pipes open would delay it, so `exit` arms a short drain instead of waiting forever.
    const status = (/** @type {number | null} */ code, /** @type {NodeJS.Signals | null} */ sig) =>
      code ?? (sig ? 128 + (constants.signals[sig] ?? 0) : null);
    child.on('close', (code, sig) => finish(status(code, sig)));
    child.on('exit', (code, sig) => setTimeout(() => finish(status(code, sig)), 100));
    child.stdin.on('error', () => {});
    child.stdin.end(options.stdin ?? Buffer.alloc(0));
    timer = setTimeout(
      () => {
        timedOut = true;
        stop();
      },
      Math.min(Math.max(options.timeoutMs, 0), 2_147_483_647),
    );
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

module.exports = { runProcess };
