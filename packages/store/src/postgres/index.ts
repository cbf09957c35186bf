import { randomBytes } from 'node:crypto';
import { migrate, type MigrationReport } from '../sql/migrations.js';
import { SqlStore } from '../sql/sql-store.js';
import type { Store } from '../store.js';
import { connectionConfig, PostgresDriver, type PostgresDriverOptions } from './postgres-driver.js';
import { PostgresListener, type PostgresListenerOptions } from './postgres-listener.js';
import { PostgresPreviewChannel, type PostgresPreviewOptions } from './postgres-previews.js';
import { PostgresWakeSignals } from './postgres-wakes.js';

/** Options of `openPostgresStore`. */
export interface PostgresStoreOptions extends PostgresDriverOptions {
  /** How this store hears about other processes' appends (poll rate, reconnect backoff). */
  listener?: PostgresListenerOptions;
  /** How previews are batched into notifications. */
  previews?: PostgresPreviewOptions;
  /**
   * Channels to LISTEN on before the store is returned, rather than at their first subscriber:
   * `previews` for a process that serves streams, `wakes` for one that runs sessions. Then
   * nothing another process sends right after the store opened is missed.
   */
  listenNow?: { previews?: boolean; wakes?: boolean };
}

function warn(error: unknown): void {
  console.warn(`longhand store: PostgreSQL listener: ${String(error)}`);
}

/**
 * Connects to the PostgreSQL database at `url`, brings its schema up to date (many processes may
 * do so at once: migrations are serialised by an advisory lock), and starts listening for other
 * processes' appends so that this store's subscribers see them. Previews and wakes cross
 * processes through the same listening connection. Rejects, holding no connection, when the
 * database cannot be reached. An `application_name` in the URL names every connection.
 *
 * @example
 * const store = await openPostgresStore('postgres://longhand@db.internal:5432/longhand?application_name=longhand-api');
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const driver = new PostgresDriver(url, options);
  const onError = options.listener?.onError ?? warn;
  const listener = new PostgresListener(connectionConfig(url), driver, options.listener);
  const origin = randomBytes(8).toString('hex');
  const previews = new PostgresPreviewChannel(listener, origin, options.previews, onError);
  const wakes = new PostgresWakeSignals(listener, origin, onError);
  const store = new SqlStore(driver, {
    origin,
    previews,
    wakes,
    onClose: async () => {
      await previews.close();
      await listener.close();
    },
  });
  try {
    await store.migrate();
    listener.watchTails(store.events.hub);
    await listener.start();
    if (options.listenNow?.previews) await previews.listenNow();
    if (options.listenNow?.wakes) await wakes.listenNow();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

/**
 * Brings the schema of the PostgreSQL database at `url` up to date and reports what it did,
 * without opening a store (`longhand migrate`). Safe while Longhand processes use the database.
 *
 * @example
 * const { from, to } = await migratePostgres('postgres://longhand@db.internal/longhand');
 */
export async function migratePostgres(url: string): Promise<MigrationReport> {
  const driver = new PostgresDriver(url, { maxConnections: 1 });
  try {
    return await migrate(driver);
  } finally {
    await driver.close();
  }
}

export { PostgresDriver, PostgresListener, PostgresPreviewChannel, PostgresWakeSignals };
export { MAX_PAYLOAD_BYTES, packPreviews, unpackPreviews } from './preview-batches.js';
export type { PostgresDriverOptions, PostgresListenerOptions, PostgresPreviewOptions };
