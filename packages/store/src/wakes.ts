/** Told the id of a session that another process marked as wanting a turn. */
export type WakeListener = (sessionId: string) => void;

/**
 * Wakes between processes that share a database: when an API process appends input, the
 * workers hear of it at once instead of at their next poll.
 *
 * Best effort: a signal can be lost (a dropped connection), so a worker still polls
 * `SessionTable.listRunnable` as its safety net. Appends made through this same store are never
 * signalled back to it: the process that appended wakes its own scheduler directly.
 */
export interface WakeSignals {
  /** Calls `listener` for every wake another process signals from now on; returns a function that stops it. */
  subscribe(listener: WakeListener): () => void;
}

/**
 * The wake signals of the embedded SQLite store, which has no way to signal another process.
 * Only one process runs its sessions (it holds the data directory's lock); an API-only process
 * on the same file is heard through the poll.
 */
export const NO_REMOTE_WAKES: WakeSignals = {
  subscribe: () => () => undefined,
};
