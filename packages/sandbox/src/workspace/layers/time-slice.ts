/**
 * Synchronous file system calls in short slices of time.
 *
 * A checkpoint touches hundreds of small files that were just written and sit in the page cache:
 * there a synchronous open, read or copy costs microseconds, while its asynchronous form queues
 * behind four thread-pool threads and costs a round trip of tens of microseconds each way (bench:
 * reading 200 files of 50 kB, 4 ms synchronously against 11 to 22 ms asynchronously, 16 at a time).
 * Loops over files therefore call the synchronous forms and `await slice()` between files, which
 * gives the event loop a turn whenever the loop has held it for `budgetMs`.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Longest the event loop is held between turns by default, in milliseconds. */
export const SLICE_MS = 4;

/** A function to await between items of a loop: it yields to the event loop once per budget. */
export function timeSlicer(budgetMs = SLICE_MS): () => Promise<void> | undefined {
  let since = performance.now();
  return () => {
    const now = performance.now();
    if (now - since < budgetMs) return undefined;
    return nextTurn().then(() => {
      since = performance.now();
    });
  };
}
