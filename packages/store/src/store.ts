import type { Documents } from './documents.js';
import type { EventLog } from './event-log.js';
import type { PreviewChannel } from './previews.js';
import type { SessionTable } from './sessions.js';
import type { WakeSignals } from './wakes.js';

/**
 * Everything Longhand persists. Adapters (SQLite, PostgreSQL) implement all of it and pass the
 * same conformance suite; nothing above the store knows which one it has.
 */
export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly events: EventLog;
  readonly sessions: SessionTable;
  readonly documents: Documents;
  /** Live previews between the process running a session and the processes streaming it. */
  readonly previews: PreviewChannel;
  /** Wakes signalled by other processes sharing the database. */
  readonly wakes: WakeSignals;
  /** The current time as the database sees it, in epoch milliseconds (lease clocks use it). */
  now(): Promise<number>;
  /** Schema version this store is at. */
  schemaVersion(): Promise<number>;
  /** Stops subscriptions and closes connections. Idempotent. */
  close(): Promise<void>;
}
