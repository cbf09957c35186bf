import { randomBytes } from 'node:crypto';
import { isLeaseLost, type Lease, type Store } from '@longhand/store';
import type { Waker } from './waker.js';

/**
 * Runs a session's pending work while the caller holds its lease. It must append only with
 * `lease` as the fence, stop promptly when `signal` aborts, and return when the session has
 * nothing left to do (or must wait for input).
 */
export interface SessionRunner {
  run(sessionId: string, lease: Lease, signal: AbortSignal): Promise<void>;
}

export interface SchedulerOptions {
  /** This process's identity in leases; unique per process. */
  holder?: string;
  /** How long a lease lasts without renewal. A dead process's sessions move on after this. */
  leaseMs?: number;
  /** How often to look for runnable sessions whose lease lapsed (crash recovery). */
  pollMs?: number;
  /** Sessions this process runs at once. */
  concurrency?: number;
  log?: (message: string) => void;
}

/**
 * Decides which process runs which session. A session runs only under a lease (with a fencing
 * token every append checks), so two processes never run one session at once and a process
 * that lost its lease can never write again. Wakes come from sends in this process; the poll
 * finds the rest (other processes' sends, sessions of a process that died).
 */
export class Scheduler implements Waker {
  readonly holder: string;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly concurrency: number;
  private readonly active = new Map<string, { controller: AbortController; again: boolean; done: Promise<void> }>();
  private readonly waiting = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private polling = false;

  constructor(
    private readonly store: Store,
    private readonly runner: SessionRunner,
    private readonly options: SchedulerOptions = {},
  ) {
    this.holder = options.holder ?? `proc_${process.pid}_${randomBytes(6).toString('hex')}`;
    this.leaseMs = options.leaseMs ?? 15_000;
    this.pollMs = options.pollMs ?? 1_000;
    this.concurrency = options.concurrency ?? 64;
  }

  /** Starts the poll loop. */
  start(): void {
    if (this.timer) return;
    this.stopping = false;
    const tick = () => {
      void this.poll().finally(() => {
        if (!this.stopping) this.timer = setTimeout(tick, this.pollMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Sessions running in this process now. */
  get running(): string[] {
    return [...this.active.keys()];
  }

  wake(sessionId: string): void {
    if (this.stopping) return;
    const current = this.active.get(sessionId);
    if (current) {
      current.again = true;
      return;
    }
    if (this.active.size >= this.concurrency) {
      this.waiting.add(sessionId);
      return;
    }
    void this.launch(sessionId);
  }

  /**
   * Stops taking sessions. With `drain`, lets running sessions finish (up to `timeoutMs`) before
   * aborting them; their leases are released so another process takes over at once.
   */
  async stop(options: { drain?: boolean; timeoutMs?: number } = {}): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting.clear();
    const runs = [...this.active.values()];
    if (options.drain) {
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, options.timeoutMs ?? 30_000).unref());
      await Promise.race([Promise.allSettled(runs.map((run) => run.done)), timeout]);
    }
    for (const run of this.active.values()) run.controller.abort(new Error('the scheduler is stopping'));
    await Promise.allSettled(runs.map((run) => run.done));
  }

  private async poll(): Promise<void> {
    if (this.polling || this.stopping) return;
    this.polling = true;
    try {
      const free = this.concurrency - this.active.size;
      if (free <= 0) return;
      const ids = await this.store.sessions.listRunnable(free);
      for (const id of ids) if (!this.active.has(id)) void this.launch(id);
    } catch (error) {
      this.options.log?.(`scheduler poll failed: ${(error as Error).message}`);
    } finally {
      this.polling = false;
    }
  }

  private async launch(sessionId: string): Promise<void> {
    if (this.active.has(sessionId) || this.stopping) return;
    const controller = new AbortController();
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const entry = { controller, again: false, done };
    this.active.set(sessionId, entry);
    try {
      const lease = await this.store.sessions.acquireLease(sessionId, this.holder, this.leaseMs);
      if (!lease) return; // Another process runs it.
      await this.runUnderLease(sessionId, lease, entry);
    } catch (error) {
      if (!isLeaseLost(error)) this.options.log?.(`session ${sessionId}: ${(error as Error).stack ?? String(error)}`);
    } finally {
      this.active.delete(sessionId);
      finish();
      this.next();
    }
  }

  private async runUnderLease(sessionId: string, first: Lease, entry: { controller: AbortController; again: boolean }): Promise<void> {
    let lease = first;
    const renew = setInterval(() => {
      void this.store.sessions.renewLease(lease, this.leaseMs).then(
        (renewed) => {
          if (renewed) lease = renewed;
          else entry.controller.abort(new Error('lease lost'));
        },
        () => undefined,
      );
    }, Math.max(50, Math.floor(this.leaseMs / 3)));
    try {
      let before = (await this.store.sessions.get(sessionId))?.wakeSeq ?? 0;
      do {
        entry.again = false;
        await this.runner.run(sessionId, lease, entry.controller.signal);
        if (entry.controller.signal.aborted) return;
        const after = (await this.store.sessions.get(sessionId))?.wakeSeq ?? 0;
        // New input arrived while the runner finished up: go round again under the same lease.
        // The same unconsumed input twice means the runner chose to leave it: do not spin on it.
        if (after > 0 && after !== before) entry.again = true;
        before = after;
      } while (entry.again && !entry.controller.signal.aborted && !this.stopping);
    } finally {
      clearInterval(renew);
      await this.store.sessions.releaseLease(lease).catch(() => undefined);
    }
  }

  private next(): void {
    if (this.stopping) return;
    for (const id of this.waiting) {
      if (this.active.size >= this.concurrency) return;
      this.waiting.delete(id);
      void this.launch(id);
    }
  }
}
