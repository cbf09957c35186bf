import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', '..', '..', 'packages', 'cli', 'bin', 'longhand.js');

export interface LonghandProcessOptions {
  role: 'api' | 'worker' | 'all';
  /** Required for processes that serve HTTP. */
  port?: number;
  dataDir: string;
  /** PostgreSQL; without it the embedded SQLite database in `dataDir`. */
  databaseUrl?: string;
  env?: Record<string, string>;
  /** More flags of `longhand serve`. */
  args?: string[];
  /** Flags of node itself (`--cpu-prof` to profile a process). */
  nodeArgs?: string[];
}

/** A fenced append a worker reported (`fenced out: …` in its log): the lease it held and the events refused. */
export interface FencedAppend {
  sessionId: string;
  token: number;
  holder: string;
  ids: string[];
}

const FENCED = /fenced out: session (\S+) lease token (\d+) of (\S+) is no longer current; rejected an append of \d+ event\(s\): (\S+)/;

/**
 * One `longhand serve` child process of a multi-process deployment, which a test can start,
 * SIGKILL, SIGSTOP / SIGCONT and SIGTERM, and whose log it reads: its lease holder id and every
 * append the store refused it for a lost lease.
 */
export class LonghandProcess {
  private child: ChildProcess | undefined;
  /** Every fenced append this process (in all its lives) reported. */
  readonly fenced: FencedAppend[] = [];
  /** The lease holder id of each life of the process, oldest first. */
  readonly holders: string[] = [];
  /** The tail of the log, for failure messages. */
  log = '';
  private partial = '';
  paused = false;
  /** Started and not killed or stopped since. */
  ready = false;

  constructor(readonly options: LonghandProcessOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return Boolean(this.child && this.child.exitCode === null && this.child.signalCode === null);
  }

  /** The lease holder id of the current life. */
  get holder(): string | undefined {
    return this.holders.at(-1);
  }

  /** Starts the process and waits until it says it is running (and, with HTTP, answers `/health`). */
  async start(timeoutMs = 60_000): Promise<void> {
    const { role, port, dataDir, databaseUrl, env = {}, args = [], nodeArgs = [] } = this.options;
    const argv = [...nodeArgs, BIN, 'serve', '--role', role, '--data-dir', dataDir, ...(port ? ['--port', String(port)] : []), ...args];
    if (databaseUrl) argv.push('--database-url', databaseUrl);
    const child = spawn(process.execPath, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.paused = false;
    this.ready = false;
    let announced = false;
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      this.log = (this.log + text).slice(-20_000);
      this.partial += text;
      const lines = this.partial.split('\n');
      this.partial = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('Longhand is running')) announced = true;
        const worker = /^ {2}Worker: +(\S+)/.exec(line);
        if (worker) this.holders.push(worker[1]!);
        const fenced = FENCED.exec(line);
        if (fenced) {
          const ids = fenced[4]!.split(',').filter((id) => id.startsWith('sevt_'));
          this.fenced.push({ sessionId: fenced[1]!, token: Number(fenced[2]), holder: fenced[3]!, ids });
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`longhand serve --role ${role} exited with ${child.exitCode}:\n${this.log}`);
      if (announced) {
        if (!port) return this.started();
        try {
          if ((await fetch(`${this.url}/health`)).ok) return this.started();
        } catch {
          // not listening yet
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`longhand serve --role ${role} did not start within ${timeoutMs} ms:\n${this.log}`);
  }

  private started(): void {
    this.ready = true;
  }

  /** Waits until the process's log matches `pattern`. */
  async waitForLog(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.log)) {
      if (Date.now() > deadline) throw new Error(`the log never matched ${pattern}:\n${this.log}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** SIGKILL, and waits until the process is gone. */
  kill(): Promise<void> {
    return this.signalAndWait('SIGKILL');
  }

  /** SIGTERM (a drain), and waits for the exit; resolves to the exit code. */
  async stop(): Promise<number | null> {
    const child = this.child;
    await this.signalAndWait('SIGTERM');
    return child?.exitCode ?? null;
  }

  /** SIGSTOP: the process keeps its sockets and its leases' clocks run out. */
  pause(): void {
    if (!this.running || this.paused) return;
    this.child!.kill('SIGSTOP');
    this.paused = true;
  }

  /** SIGCONT. */
  resume(): void {
    if (!this.running || !this.paused) return;
    this.child!.kill('SIGCONT');
    this.paused = false;
  }

  private async signalAndWait(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    this.ready = false;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    // A stopped process acts on SIGTERM only once it runs again.
    if (this.paused) this.resume();
    await gone;
  }
}
