import { randomBytes } from 'node:crypto';
import { PostgresDriver } from '@longhand/store/postgres';

/**
 * The PostgreSQL server of the tests: the local one unless `LONGHAND_TEST_POSTGRES_URL` names
 * another. Its own database is only used to create and drop test databases.
 */
const ADMIN_URL = process.env.LONGHAND_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh database for one test, and a connection to look into it. */
export interface TestDatabase {
  name: string;
  url: string;
  /** Runs one query (`?` placeholders) and returns its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Closes the connection and drops the database, whoever is still connected. */
  drop(): Promise<void>;
}

/** Creates an empty database with a random name. */
export async function createTestDatabase(prefix = 'longhand_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new PostgresDriver(ADMIN_URL, { maxConnections: 1, onConnectionError: () => undefined });
  try {
    await admin.run(`CREATE DATABASE ${name}`);
  } finally {
    await admin.close();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const driver = new PostgresDriver(url.toString(), { maxConnections: 2, onConnectionError: () => undefined });
  return {
    name,
    url: url.toString(),
    query: (sql, params = []) => driver.all(sql, params),
    async drop() {
      await driver.close();
      const cleanup = new PostgresDriver(ADMIN_URL, { maxConnections: 1, onConnectionError: () => undefined });
      try {
        await cleanup.run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await cleanup.close();
      }
    },
  };
}
