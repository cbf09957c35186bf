import type { LonghandProcess } from './longhand-process.js';
import type { TestDatabase } from './postgres.js';

/** One thing the chaos did to a worker, with what that worker held at the instant. */
export interface ChaosAction {
  kind: 'kill' | 'pause';
  at: number;
  /** When a paused worker was resumed. */
  resumedAt?: number;
  holder: string;
  /** Sessions whose lease the worker held, with input waiting, and their log's head then. */
  held: Array<{ sessionId: string; lastSeq: number }>;
}

export interface ChaosOptions {
  workers: LonghandProcess[];
  db: TestDatabase;
  leaseMs: number;
  /** Shortest and longest wait between two actions. */
  intervalMs: [number, number];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = ([low, high]: [number, number]) => low + Math.random() * (high - low);

/**
 * Kills workers with SIGKILL (restarting them shortly after) and pauses them with SIGSTOP for
 * longer than a lease (then SIGCONT), at random instants, until stopped. It always leaves at
 * least one worker running and unpaused, so that the sessions can go on.
 */
export class Chaos {
  readonly actions: ChaosAction[] = [];
  private stopped = false;
  private readonly background: Array<Promise<void>> = [];
  private loop: Promise<void> | undefined;

  constructor(private readonly options: ChaosOptions) {}

  start(): void {
    this.loop = this.run();
  }

  /** Stops acting, resumes paused workers, restarts dead ones, and waits until all run. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await Promise.all(this.background);
    for (const worker of this.options.workers) {
      worker.resume();
      if (!worker.running) await worker.start();
    }
  }

  get kills(): number {
    return this.actions.filter((a) => a.kind === 'kill').length;
  }

  get pauses(): number {
    return this.actions.filter((a) => a.kind === 'pause').length;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await sleep(between(this.options.intervalMs));
      if (this.stopped) return;
      const up = this.options.workers.filter((w) => w.ready && w.running && !w.paused);
      if (up.length <= 1) continue;
      const worker = up[Math.floor(Math.random() * up.length)]!;
      // Pauses and kills take turns (at random instants, on random workers), so every run has both.
      const kind = this.actions.length % 2 === 0 ? 'pause' : 'kill';
      const holder = worker.holder!;
      const held = await this.options.db.query<{ sessionId: string; lastSeq: number }>(
        `SELECT id AS "sessionId", last_seq::int AS "lastSeq" FROM sessions WHERE lease_holder = ? AND wake_seq > 0`,
        [holder],
      );
      const action: ChaosAction = { kind, at: Date.now(), holder, held };
      this.actions.push(action);
      if (kind === 'kill') {
        await worker.kill();
        this.background.push(
          (async () => {
            await sleep(between([200, 800]));
            await worker.start();
          })(),
        );
      } else {
        worker.pause();
        this.background.push(
          (async () => {
            await sleep(this.options.leaseMs * between([1.2, 2.5]));
            worker.resume();
            action.resumedAt = Date.now();
          })(),
        );
      }
    }
  }
}
