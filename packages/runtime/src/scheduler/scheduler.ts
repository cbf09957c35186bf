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
  /**
   * How long a lease lasts without renewal (renewed every third of it). A process that dies or
   * stops mid-turn has its sessions taken over after at most this plus one poll. Default 10 s.
   */
  leaseMs?: number;
  /**
   * How often to look for runnable sessions nobody holds: input whose wake signal was lost,
   * sessions of a process that died. Each wait is jittered by ±20% so that processes do not
   * poll in lockstep. Default 500 ms.
   */
  pollMs?: number;
  /** Sessions this process runs at once. */
  concurrency?: number;
  /**
   * Called when this process stops running a session (finished, handed back, or its lease was
   * lost), before the lease is released: where many processes share the database, this is where
   * the session's sandbox is stopped, so it runs only on the process that holds the lease.
   */
  onLeaseEnd?: (sessionId: string, lease: Lease) => Promise<void>;
  /**
   * Called when this process has taken a session's lease, before it runs anything: where
   * workspaces roam between workers, this claims the session's recorded files with the lease's
   * token. When it throws, the session is not run and the lease is given back.
   */
  onLeaseStart?: (sessionId: string, lease: Lease) => Promise<void>;
  log?: (message: string) => void;
}

interface Run {
  controller: AbortController;
  again: boolean;
  done: Promise<void>;
}

/**
 * Decides which process runs which session. A session runs only under a lease (with a fencing
 * token every append checks), so two processes never run one session at once and a process
 * that lost its lease can never write again. Wakes come from sends in this process and, through
 * the store, from other processes' sends; the poll finds the rest (lost signals, sessions of a
 * process that died).
 */
export class Scheduler implements Waker {
  readonly holder: string;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly concurrency: number;
  private readonly active = new Map<string, Run>();
  private readonly waiting = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribeWakes: (() => void) | undefined;
  private stopping = false;
  private polling = false;

  constructor(
    private readonly store: Store,
    private readonly runner: SessionRunner,
    private readonly options: SchedulerOptions = {},
  ) {
    this.holder = options.holder ?? `proc_${process.pid}_${randomBytes(6).toString('hex')}`;
    this.leaseMs = options.leaseMs ?? 10_000;
    this.pollMs = options.pollMs ?? 500;
    this.concurrency = options.concurrency ?? 64;
  }

  /** Starts the poll loop and listens for other processes' wakes. */
  start(): void {
    if (this.timer) return;
    this.stopping = false;
    this.unsubscribeWakes = this.store.wakes.subscribe((sessionId) => this.wake(sessionId));
    const tick = () => {
      void this.poll().finally(() => {
        if (!this.stopping) this.timer = setTimeout(tick, this.pollMs * (0.8 + Math.random() * 0.4));
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
   * aborting them. Either way every lease is released, and sessions with input still waiting are
   * handed on: other processes are woken for them at once.
   */
  async stop(options: { drain?: boolean; timeoutMs?: number } = {}): Promise<void> {
    this.stopping = true;
    this.unsubscribeWakes?.();
    this.unsubscribeWakes = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting.clear();
    const runs = [...this.active.values()];
    if (options.drain && runs.length > 0) {
      this.options.log?.(`draining: waiting for ${runs.length} running session(s) to finish`);
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, options.timeoutMs ?? 30_000).unref());
      await Promise.race([Promise.allSettled(runs.map((run) => run.done)), timeout]);
    }
    if (this.active.size > 0) this.options.log?.(`handing back ${this.active.size} session(s) that did not finish`);
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
    const entry: Run = { controller, again: false, done };
    this.active.set(sessionId, entry);
    let rewake = false;
    try {
      const lease = await this.store.sessions.acquireLease(sessionId, this.holder, this.leaseMs);
      if (!lease) return; // Another process runs it.
      rewake = await this.runUnderLease(sessionId, lease, entry);
    } catch (error) {
      if (!isLeaseLost(error)) this.options.log?.(`session ${sessionId}: ${(error as Error).stack ?? String(error)}`);
    } finally {
      this.active.delete(sessionId);
      finish();
      if (rewake) this.wake(sessionId);
      this.next();
    }
  }

  /** Runs the session until it has nothing left; returns whether input arrived as the lease was being given back. */
  private async runUnderLease(sessionId: string, first: Lease, entry: Run): Promise<boolean> {
    let lease = first;
    let renewedAt = performance.now();
    const renew = setInterval(() => {
      void this.store.sessions.renewLease(lease, this.leaseMs).then(
        (renewed) => {
          if (renewed) {
            lease = renewed;
            renewedAt = performance.now();
          } else entry.controller.abort(new Error('lease lost'));
        },
        () => {
          // The database cannot be reached: once a whole lease has passed since the last renewal,
          // another process may hold the session, so stop (and stop its sandbox) without waiting
          // to hear it from the database.
          if (performance.now() - renewedAt >= this.leaseMs) entry.controller.abort(new Error('lease presumed lost'));
        },
      );
    }, Math.max(50, Math.floor(this.leaseMs / 3)));
    let seen = 0;
    let handoff = false;
    let left = 0;
    let started = true;
    try {
      await this.options.onLeaseStart?.(sessionId, lease).catch((error: unknown) => {
        started = false;
        this.options.log?.(`session ${sessionId}: not run: ${(error as Error).message}`);
      });
      if (!started) return false;
      let before = (await this.store.sessions.get(sessionId))?.wakeSeq ?? 0;
      seen = before;
      do {
        entry.again = false;
        await this.runner.run(sessionId, lease, entry.controller.signal);
        if (entry.controller.signal.aborted) break;
        const after = (await this.store.sessions.get(sessionId))?.wakeSeq ?? 0;
        // New input arrived while the runner finished up: go round again under the same lease.
        // The same unconsumed input twice means the runner chose to leave it: do not spin on it.
        if (after > 0 && after !== before) entry.again = true;
        before = after;
        seen = after;
      } while (entry.again && !entry.controller.signal.aborted && !this.stopping);
    } finally {
      await this.options.onLeaseEnd?.(sessionId, lease).catch((error: unknown) => this.options.log?.(`session ${sessionId}: ${(error as Error).message}`));
      clearInterval(renew);
      handoff = this.stopping || entry.controller.signal.aborted;
      left = await this.store.sessions.releaseLease(lease, { handoff }).catch(() => 0);
    }
    // Input that came after the last look, whose wake this process ignored because it still held
    // the session: nobody else hears of it before their poll, so take it up again now.
    return !handoff && left > 0 && left !== seen;
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
