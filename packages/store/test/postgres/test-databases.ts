import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL server the tests use: the local one unless `LONGHAND_TEST_POSTGRES_URL` names
 * another (its database is only used to create and drop the test databases).
 */
const ADMIN_URL = process.env.LONGHAND_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const created = new Set<string>();

/** The URL of database `name` on the test server, with an optional `application_name`. */
export function databaseUrl(name: string, applicationName?: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  if (applicationName) url.searchParams.set('application_name', applicationName);
  return url.toString();
}

/** Runs `fn` on a short-lived connection to the admin database. */
export async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database with a random name and returns its name; `dropTestDatabases` removes it. */
export async function createTestDatabase(): Promise<string> {
  const name = `longhand_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  created.add(name);
  return name;
}

/** Drops every database `createTestDatabase` made, closing whatever connections are left on them. */
export async function dropTestDatabases(): Promise<void> {
  const names = [...created];
  created.clear();
  if (names.length === 0) return;
  await withAdmin(async (client) => {
    for (const name of names) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}

/** Runs one query on a fresh connection to database `name` (to look at it, or to act as another process). */
export async function queryDatabase<R extends pg.QueryResultRow>(name: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: databaseUrl(name) });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Waits until the async `check` passes or `ms` elapse, polling; returns whether it passed. */
export async function eventuallyAsync(check: () => Promise<boolean>, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return check();
}

/** How many connections to database `name` are waiting on a lock right now. */
export async function lockWaiters(name: string): Promise<number> {
  const rows = await queryDatabase<{ waiting: number }>(
    name,
    `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
  );
  return rows[0]!.waiting;
}

/**
 * Locks a session's row from a connection of its own, as another process in the middle of an
 * append would; resolves to a function that commits and lets the waiters go.
 */
export async function holdSessionRow(name: string, sessionId: string): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: databaseUrl(name) });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE', [sessionId]);
  return async () => {
    await client.query('COMMIT');
    await client.end();
  };
}
