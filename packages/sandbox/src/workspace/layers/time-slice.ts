/**
 * Synchronous file system calls in short slices of time, and background work that gives way.
 *
 * A checkpoint touches hundreds of small files that were just written and sit in the page cache:
 * there a synchronous open, read or copy costs microseconds, while its asynchronous form queues
 * behind four thread-pool threads and costs a round trip of tens of microseconds each way (bench:
 * reading 200 files of 50 kB, 4 ms synchronously against 11 to 22 ms asynchronously, 16 at a time).
 * Loops over files therefore call the synchronous forms and `await slice()` between files, which
 * gives the event loop a turn whenever the loop has held it for `budgetMs`.
 *
 * Work started by `inBackground` (unpacking a journaled layer) also stops at each slice while any
 * `inForeground` work runs (a snapshot of a frozen sandbox), so the turns a frozen snapshot gives
 * the event loop are not spent on work nobody waits for.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Longest the event loop is held between turns by default, in milliseconds. */
export const SLICE_MS = 4;

const background = new AsyncLocalStorage<true>();
let foregroundRuns = 0;
let foregroundOver: { promise: Promise<void>; resolve: () => void } | undefined;

/** Runs `work` as background work: its slices wait while foreground work runs. */
export function inBackground<T>(work: () => Promise<T>): Promise<T> {
  return background.run(true, work);
}

/** Runs `work` ahead of background work, which waits at its next slice until this is over. */
export async function inForeground<T>(work: () => Promise<T>): Promise<T> {
  if (foregroundRuns++ === 0) {
    let resolve!: () => void;
    const promise = new Promise<void>((done) => (resolve = done));
    foregroundOver = { promise, resolve };
  }
  try {
    return await work();
  } finally {
    if (--foregroundRuns === 0) {
      foregroundOver?.resolve();
      foregroundOver = undefined;
    }
  }
}

/** For background work between steps: resolves once no foreground work runs (undefined: go on). */
export function givingWay(): Promise<void> | undefined {
  if (foregroundRuns === 0 || !background.getStore()) return undefined;
  return foregroundOver!.promise;
}

/** A function to await between items of a loop: it yields to the event loop once per budget. */
export function timeSlicer(budgetMs = SLICE_MS): () => Promise<void> | undefined {
  let since = performance.now();
  return () => {
    const waiting = givingWay();
    if (waiting) return waiting.then(() => nextTurn()).then(() => void (since = performance.now()));
    const now = performance.now();
    if (now - since < budgetMs) return undefined;
    return nextTurn().then(() => {
      since = performance.now();
    });
  };
}
