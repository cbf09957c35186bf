import { join } from 'node:path';
import type { MigrationReport, Store } from '@longhand/store';
import { migratePostgres, openPostgresStore } from '@longhand/store/postgres';
import { migrateSqlite, openSqliteStore } from '@longhand/store/sqlite';

/** Where a deployment keeps its data: PostgreSQL when a URL is given, else SQLite in the data directory. */
export interface DatabaseTarget {
  dataDir: string;
  /** `postgres://…`: many processes share the database. */
  databaseUrl?: string | undefined;
}

/** The embedded database's file in a data directory. */
export function sqlitePath(dataDir: string): string {
  return join(dataDir, 'longhand.db');
}

/** A printable name of the database, with any password left out. */
export function describeDatabase(target: DatabaseTarget): string {
  if (!target.databaseUrl) return `SQLite ${sqlitePath(target.dataDir)}`;
  try {
    const url = new URL(target.databaseUrl);
    url.password = '';
    return `PostgreSQL ${url.toString()}`;
  } catch {
    return 'PostgreSQL (an unparseable URL)';
  }
}

/**
 * Opens the target's store, migrated. A PostgreSQL store listens at once on the channels the
 * process's role needs: previews for processes that serve streams, wakes for those that run sessions.
 */
export async function openDatabase(target: DatabaseTarget, role: 'api' | 'worker' | 'all'): Promise<Store> {
  if (!target.databaseUrl) return openSqliteStore(sqlitePath(target.dataDir));
  return openPostgresStore(target.databaseUrl, { listenNow: { previews: role !== 'worker', wakes: role !== 'api' } });
}

/**
 * Brings the target's schema up to date (`longhand migrate`) and reports the versions. Safe while
 * Longhand processes use the database: migrations are serialised, and each runs in one transaction.
 *
 * @example
 * const report = await migrateDatabase({ dataDir: '.longhand', databaseUrl: process.env.DATABASE_URL });
 * console.log(`schema version ${report.from} -> ${report.to}`);
 */
export async function migrateDatabase(target: DatabaseTarget): Promise<MigrationReport> {
  return target.databaseUrl ? migratePostgres(target.databaseUrl) : migrateSqlite(sqlitePath(target.dataDir));
}
