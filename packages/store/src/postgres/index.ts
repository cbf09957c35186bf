import { SqlStore } from '../sql/sql-store.js';
import type { Store } from '../store.js';
import { connectionConfig, PostgresDriver, type PostgresDriverOptions } from './postgres-driver.js';
import { PostgresListener, type PostgresListenerOptions } from './postgres-listener.js';

/** Options of `openPostgresStore`. */
export interface PostgresStoreOptions extends PostgresDriverOptions {
  /** How this store hears about other processes' appends (poll rate, reconnect backoff). */
  listener?: PostgresListenerOptions;
}

/**
 * Connects to the PostgreSQL database at `url`, brings its schema up to date (many processes may
 * do so at once: migrations are serialised by an advisory lock), and starts listening for other
 * processes' appends so that this store's subscribers see them. Rejects, holding no connection,
 * when the database cannot be reached. An `application_name` in the URL names every connection.
 *
 * @example
 * const store = await openPostgresStore('postgres://longhand@db.internal:5432/longhand?application_name=longhand-api');
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const driver = new PostgresDriver(url, options);
  let listener: PostgresListener | undefined;
  const store = new SqlStore(driver, async () => {
    await listener?.close();
  });
  try {
    await store.migrate();
    listener = new PostgresListener(connectionConfig(url), store.events.hub, driver, options.listener);
    await listener.start();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

export { PostgresDriver, PostgresListener };
export type { PostgresDriverOptions, PostgresListenerOptions };
