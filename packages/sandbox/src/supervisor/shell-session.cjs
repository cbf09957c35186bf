'use strict';
// The persistent bash session: one long-lived `bash` over pipes whose working directory,
// variables and functions carry over from one command to the next.
//
// Each command is written to bash as one line:
//
//   { eval -- '<command>'
//   } </dev/null >&7 2>&7 7>&-; printf '\n%s%s:%d\0%s\0' <marker> "$?" "$PWD" >&7; export -p >&7; printf '\0%s%s\n' <marker> >&7
//
// - `</dev/null`: a command that reads stdin gets EOF instead of swallowing the next request.
// - `eval` of a quoted string: a syntax error fails that command (status 2), not the wrapper.
// - fd 7 is a copy of the protocol pipe made when the shell starts. Bash undoes the group's own
//   redirections afterwards, so `exec >/dev/null` inside a command cannot silence the frame.
// - The frame carries a random marker (written as two words so it never appears in the input),
//   the exit status, the working directory and the exported variables; whatever precedes it is
//   the command's output (stdout and stderr interleaved, as produced).
// - `set -m` (job control) puts every pipeline in its own process group. That is how a timeout
//   tells the command's processes (groups that did not exist when it started, and helpers in
//   bash's own group) from background jobs of earlier commands, which are left running.
//
// A stopped command (timeout or interrupt) takes the shell with it: killing only its processes
// would let bash carry on with the rest of the command line (`sleep 100; rm -rf build`). The next
// command gets a new bash in the last reported directory with the last reported exports.

const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { statSync, writeFileSync } = require('node:fs');
const { constants } = require('node:os');
const { OutputCapture } = require('./output-capture.cjs');
const { killUntilGone, listProcesses, killSession } = require('./process-tree.cjs');

/** After bash exits, how long to wait for output still in the pipe (a background job may hold it open). */
const DRAIN_MS = 50;

/**
 * @typedef {{ output: string, exitCode: number | null, timedOut: boolean, interrupted: boolean,
 *   truncated: boolean, cwd: string }} ShellRunResult
 * @typedef {{ timeoutMs: number, maxOutputBytes: number, signal?: AbortSignal }} ShellRunOptions
 * @typedef {{ exitCode: number | null, cwd?: string, exports?: string }} Outcome
 */

/** @param {string} s */
const quote = (s) => `'${s.replaceAll("'", "'\\''")}'`;
/** @param {string} marker */
const split = (marker) => `'${marker.slice(0, 3)}' '${marker.slice(3)}'`;

class ShellSession {
  /**
   * @param {{ workdir: string, env: NodeJS.ProcessEnv, shell: string, ownPidNamespace: boolean,
   *   protectedSessions: () => Set<number> }} options
   *   `ownPidNamespace`: every process we can see belongs to the sandbox (bubblewrap), so even one
   *   that left with setsid is found; otherwise only the shells' sessions are ours.
   *   `protectedSessions`: sessions of running `exec` calls, never killed from here.
   */
  constructor(options) {
    this.options = options;
    /** Last working directory the shell reported; a replacement shell starts there. */
    this.cwd = options.workdir;
    /** Last `export -p` the shell reported; a replacement shell replays it. */
    this.exports = '';
    /** @type {import('node:child_process').ChildProcessWithoutNullStreams | null} */
    this.proc = null;
    /** Sessions of earlier shells whose background jobs were left running. */
    this.pastSessions = new Set();
    /** Shells we killed on purpose: their exit must not take their background jobs along. */
    this.abandoned = new WeakSet();
    /** @type {null | { proc: object, feed: (chunk: Buffer) => void, exited: (status: number) => void }} */
    this.active = null;
    /** Commands run one at a time, in arrival order. */
    this.turn = Promise.resolve();
    /**
     * The shell's process groups as of the end of the last command, taken right after replying
     * (reading /proc costs ~30 µs a process: off the round trip, not in it).
     * @type {{ bashPid: number, groups: Set<number> } | null}
     */
    this.snapshot = null;
  }

  /** Starts bash ahead of the first command, which tries again (and says why) if this fails. */
  startEarly() {
    try {
      this.ensureStarted();
    } catch {
      // Reported by the first command that needs the shell.
    }
  }

  /** Starts bash if none is running (lazily: after `exit`, a stopped command or a restart). */
  ensureStarted() {
    if (this.proc) return this.proc;
    try {
      if (!statSync(this.cwd).isDirectory()) this.cwd = this.options.workdir;
    } catch {
      this.cwd = this.options.workdir;
    }
    const proc = spawn(this.options.shell, ['--noprofile', '--norc'], {
      cwd: this.cwd,
      env: this.options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own session: the shell and what it starts can be told apart from the supervisor.
      detached: true,
    });
    if (proc.pid === undefined) {
      // The spawn failed (EAGAIN at the pids limit, ENOMEM): there is no shell to talk to, and
      // keeping this one would leave every later command waiting on a dead pipe until its timeout.
      proc.on('error', () => {});
      proc.stdin?.destroy();
      throw new Error(`bash could not be started (the sandbox may be at its process or memory limit); end some processes or restart the shell`);
    }
    proc.stdout.on('data', (chunk) => this.active?.feed(chunk));
    // Commands write their stderr into the frame's pipe (2>&7); what bash itself writes here are
    // job notices ("[1]+ Terminated ...") that belong to no command: drop them.
    proc.stderr.resume();
    proc.stdin.on('error', () => {});
    proc.on('error', () => {});
    proc.on('exit', (code, sig) => {
      if (this.proc === proc) this.proc = null;
      // A shell that ended by itself (`exit`) takes its background jobs along.
      if (!this.abandoned.has(proc)) killSession(/** @type {number} */ (proc.pid));
      const status = code ?? 128 + (sig ? (constants.signals[sig] ?? 0) : 0);
      const active = this.active;
      if (active?.proc === proc) setTimeout(() => active.exited(status), DRAIN_MS);
    });
    // Under memory pressure the kernel should pick the user's command, not the supervisor.
    try {
      writeFileSync(`/proc/${proc.pid}/oom_score_adj`, '500');
    } catch {
      // Not fatal: the sandbox's memory limit still holds.
    }
    proc.stdin.write(`set -m\nexec 7>&1\n${this.exports}\n`);
    this.proc = proc;
    return proc;
  }

  /**
   * Runs one command once the previous ones have finished.
   * @param {string} command
   * @param {ShellRunOptions} options
   * @returns {Promise<ShellRunResult>}
   */
  run(command, options) {
    const result = this.turn.then(() => this.runNow(command, options));
    this.turn = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /**
   * @param {string} command
   * @param {ShellRunOptions} options
   * @returns {Promise<ShellRunResult>}
   */
  async runNow(command, options) {
    if (options.signal?.aborted) {
      return { output: '', exitCode: null, timedOut: false, interrupted: true, truncated: false, cwd: this.cwd };
    }
    const proc = this.ensureStarted();
    const bashPid = /** @type {number} */ (proc.pid);
    const before = this.snapshot?.bashPid === bashPid ? this.snapshot.groups : this.groupsNow(bashPid);
    this.snapshot = null;
    const capture = new OutputCapture(options.maxOutputBytes, 'head-tail');
    const marker = `__LH_${randomBytes(12).toString('hex')}`;
    const start = Buffer.from(`\n${marker}:`);
    const end = Buffer.from(`\0${marker}\n`);

    /** @type {(value: Outcome) => void} */
    let settle = () => {};
    /** @type {Promise<Outcome>} */
    const finished = new Promise((resolve) => (settle = resolve));
    let held = Buffer.alloc(0);
    let startFound = false;
    this.active = {
      proc,
      feed: (chunk) => {
        held = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
        if (!startFound) {
          const at = held.indexOf(start);
          if (at < 0) {
            // Keep just enough to recognise a start marker split across two reads.
            const keep = Math.min(held.length, start.length - 1);
            capture.push(held.subarray(0, held.length - keep));
            held = Buffer.from(held.subarray(held.length - keep));
            return;
          }
          capture.push(held.subarray(0, at));
          held = held.subarray(at + start.length);
          startFound = true;
        }
        const stop = held.indexOf(end);
        if (stop < 0) return;
        const [status = '', cwd = '', exports = ''] = held.subarray(0, stop).toString('utf8').split('\0');
        settle({ exitCode: Number.parseInt(status, 10), cwd, exports });
      },
      exited: (status) => settle({ exitCode: status }),
    };
    proc.stdin.write(
      `{ eval -- ${quote(command.replaceAll('\0', ''))}\n} </dev/null >&7 2>&7 7>&-; ` +
        `printf '\\n%s%s:%d\\0%s\\0' ${split(marker)} "$?" "$PWD" >&7; export -p >&7; printf '\\0%s%s\\n' ${split(marker)} >&7\n`,
    );

    /** @type {'timedOut' | 'interrupted' | undefined} */
    let stopped;
    /** @type {NodeJS.Timeout | undefined} */
    let timer;
    /** @type {() => void} */
    let onAbort = () => {};
    /** @type {Promise<undefined>} */
    const cut = new Promise((resolve) => {
      const delay = Math.min(Math.max(options.timeoutMs, 0), 2 ** 31 - 1);
      timer = setTimeout(() => {
        stopped = 'timedOut';
        resolve(undefined);
      }, delay);
      onAbort = () => {
        stopped = 'interrupted';
        resolve(undefined);
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    const outcome = await Promise.race([finished, cut]);
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    this.active = null;
    let note = '';
    if (outcome) {
      if (outcome.cwd !== undefined) this.cwd = outcome.cwd;
      if (outcome.exports !== undefined) this.exports = outcome.exports;
      // Runs before the next request is read: a reply goes out in this turn of the event loop
      // and the host's next request can only arrive in a later one.
      setImmediate(() => {
        if (this.active === null && this.proc === proc) this.snapshot = { bashPid, groups: this.groupsNow(bashPid) };
      });
    } else {
      // bash first: once its foreground job dies it would go on with the rest of the line.
      this.abandon(proc);
      this.killForeground(bashPid, before);
      note = '[the command was stopped and the shell restarted; the working directory and exported variables were kept]\n';
    }
    let output = capture.bytes().toString('utf8');
    if (note && output !== '' && !output.endsWith('\n')) output += '\n';
    return {
      output: output + note,
      exitCode: outcome ? outcome.exitCode : null,
      timedOut: stopped === 'timedOut',
      interrupted: stopped === 'interrupted',
      truncated: capture.truncated,
      cwd: this.cwd,
    };
  }

  /**
   * Whether a process is one of the shells' (and so may be killed from here).
   * @param {import('./process-tree.cjs').ProcInfo} p
   * @param {number} bashPid
   */
  isShellProcess(p, bashPid) {
    if (p.pid === bashPid || p.pid === process.pid || p.pid === 1) return false;
    if (this.options.protectedSessions().has(p.sid)) return false;
    return this.options.ownPidNamespace || p.sid === bashPid || this.pastSessions.has(p.sid);
  }

  /** Process groups of the shells' processes right now, bash's own group excluded. @param {number} bashPid */
  groupsNow(bashPid) {
    const groups = new Set();
    for (const p of listProcesses()) if (this.isShellProcess(p, bashPid) && p.pgid !== bashPid) groups.add(p.pgid);
    return groups;
  }

  /**
   * Kills every process group that appeared since the command started, and the command
   * substitutions running in bash's own group; earlier background jobs are left alone.
   * @param {number} bashPid @param {Set<number>} before
   */
  killForeground(bashPid, before) {
    killUntilGone((procs) => {
      const groups = new Set();
      const pids = [];
      for (const p of procs) {
        if (!this.isShellProcess(p, bashPid)) continue;
        if (p.pgid === bashPid) pids.push(p.pid);
        else if (!before.has(p.pgid)) groups.add(p.pgid);
      }
      return { groups: [...groups], pids };
    });
  }

  /**
   * Kills bash alone, keeping its background jobs (now orphans) known as the shell's.
   * @param {import('node:child_process').ChildProcess} proc
   */
  abandon(proc) {
    if (this.proc === proc) this.proc = null;
    this.abandoned.add(proc);
    if (proc.pid) {
      this.pastSessions.add(proc.pid);
      try {
        process.kill(proc.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }

  /** Kills the shell and everything it ever started (background jobs included). */
  killAll() {
    const bashPid = this.proc?.pid ?? -1;
    if (this.proc) this.abandoned.add(this.proc);
    this.proc = null;
    killUntilGone((procs) => {
      const mine = procs.filter((p) => p.pid === bashPid || this.isShellProcess(p, bashPid));
      return { groups: [...new Set(mine.map((p) => p.pgid))], pids: mine.map((p) => p.pid) };
    });
    this.pastSessions.clear();
  }

  /** Replaces the shell with a fresh one: workdir, the initial environment, no jobs. */
  async restart() {
    await this.turn;
    this.killAll();
    this.cwd = this.options.workdir;
    this.exports = '';
  }
}

module.exports = { ShellSession };
