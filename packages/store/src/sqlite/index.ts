import { migrate, type MigrationReport } from '../sql/migrations.js';
import { SqlStore } from '../sql/sql-store.js';
import type { Store } from '../store.js';
import { SqliteDriver } from './sqlite-driver.js';

/**
 * Opens (creating if needed) the SQLite store at `path` and brings its schema up to date.
 * `:memory:` gives a private in-memory database, handy for tests.
 *
 * @example
 * const store = await openSqliteStore('/var/lib/longhand/longhand.db');
 */
export async function openSqliteStore(path: string): Promise<Store> {
  const store = new SqlStore(new SqliteDriver(path));
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

/**
 * Brings the schema of the SQLite database at `path` (created if missing) up to date and
 * reports what it did, without opening a store (`longhand migrate`).
 *
 * @example
 * const { from, to, applied } = await migrateSqlite('/var/lib/longhand/longhand.db');
 */
export async function migrateSqlite(path: string): Promise<MigrationReport> {
  const driver = new SqliteDriver(path);
  try {
    return await migrate(driver);
  } finally {
    await driver.close();
  }
}

export { SqliteDriver };
