import { afterEach, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION, SqlStore, type SqlExecutor, type Store, type StoredEvent } from '@longhand/store';
import { openPostgresStore, PostgresDriver, type PostgresStoreOptions } from '@longhand/store/postgres';
import { signalsConformance } from './conformance/signals-conformance.js';
import { storeConformance } from './conformance/store-conformance.js';
import { eventually, makeSession, text } from './conformance/fixtures.js';
import {
  createTestDatabase,
  databaseUrl,
  dropTestDatabases,
  eventuallyAsync,
  queryDatabase,
  withAdmin,
} from './postgres/test-databases.js';

const opened: Store[] = [];

/** Opens a store on database `name`; it is closed after the test, before its database is dropped. */
async function open(name: string, applicationName?: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const store = await openPostgresStore(databaseUrl(name, applicationName), options);
  opened.push(store);
  return store;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await dropTestDatabases();
});

storeConformance('postgres', async () => openPostgresStore(databaseUrl(await createTestDatabase())));
signalsConformance('postgres', async () => openPostgresStore(databaseUrl(await createTestDatabase())));

/** Never polls within a test: what these tests see came through LISTEN or a reconnect. */
const NO_POLL = { pollIntervalMs: 600_000 };

function collect(store: Store, sessionId: string, afterSeq = 0) {
  const seen: StoredEvent[] = [];
  let deleted = false;
  const subscription = store.events.subscribe(sessionId, afterSeq, {
    onEvents: (events) => seen.push(...events),
    onDeleted: () => {
      deleted = true;
    },
  });
  return { seen, seqs: () => seen.map((e) => e.seq), deleted: () => deleted, subscription };
}

describe('postgres store', () => {
  it('migrates a fresh database from several stores opened at once', async () => {
    const name = await createTestDatabase();
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => open(name)));
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    const versions = await queryDatabase<{ version: number }>(name, `SELECT version::int AS version FROM schema_migrations`);
    expect(versions.map((row) => row.version)).toEqual([LATEST_SCHEMA_VERSION]);
    // Migration holds no lock afterwards, on any connection.
    const locks = await queryDatabase(name, `SELECT 1 FROM pg_locks WHERE locktype = 'advisory'`);
    expect(locks).toEqual([]);
  });

  it('refuses a database written by a newer release instead of touching it', async () => {
    const name = await createTestDatabase();
    await (await open(name)).close();
    await queryDatabase(name, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')`);
    await expect(openPostgresStore(databaseUrl(name))).rejects.toThrow(/newer than this Longhand build/);
  });

  it('rejects when the database does not exist', async () => {
    await expect(openPostgresStore(databaseUrl('longhand_test_missing'))).rejects.toThrow(/does not exist/);
  });

  it('reads BIGINT columns as numbers and refuses values a number cannot hold', async () => {
    const name = await createTestDatabase();
    const driver = new PostgresDriver(databaseUrl(name));
    try {
      expect(await driver.all(`SELECT CAST(? AS BIGINT) AS v`, ['9007199254740991'])).toEqual([{ v: 9007199254740991 }]);
      await expect(driver.all(`SELECT CAST(? AS BIGINT) AS v`, ['9007199254740993'])).rejects.toThrow(RangeError);
      // A question mark in a literal, a quoted name or a comment is not a parameter.
      const sql = `SELECT 'it''s ?' AS "q?", /* ? */ CAST(? AS TEXT) AS p -- ?\n`;
      expect(await driver.all(sql, ['x'])).toEqual([{ 'q?': "it's ?", p: 'x' }]);
    } finally {
      await driver.close();
    }
  });

  it('rolls a failed transaction back and keeps the connection usable', async () => {
    const name = await createTestDatabase();
    const driver = new PostgresDriver(databaseUrl(name), { maxConnections: 1 });
    try {
      await driver.run(`CREATE TABLE t (k TEXT PRIMARY KEY)`);
      const failed = driver.transaction(async (tx) => {
        await tx.run(`INSERT INTO t (k) VALUES (?)`, ['a']);
        await tx.run(`INSERT INTO t (k) VALUES (?)`, ['a']);
      });
      await expect(failed).rejects.toMatchObject({ code: 'unique_violation' });
      expect(await driver.all(`SELECT k FROM t`)).toEqual([]);
      await driver.transaction((tx) => tx.run(`INSERT INTO t (k) VALUES (?)`, ['b']));
      expect(await driver.all(`SELECT k FROM t`)).toEqual([{ k: 'b' }]);
    } finally {
      await driver.close();
    }
  });

  it('commits many concurrent appends in a few transactions (group commit)', async () => {
    class CountingDriver extends PostgresDriver {
      transactions = 0;
      override transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
        this.transactions += 1;
        return super.transaction(fn);
      }
    }
    const driver = new CountingDriver(databaseUrl(await createTestDatabase()));
    const store = new SqlStore(driver);
    opened.push(store);
    await store.migrate();
    const session = makeSession();
    await store.sessions.create('wrkspc_a', session);
    driver.transactions = 0;
    const appended = await Promise.all(Array.from({ length: 100 }, (_, i) => store.events.append(session.id, [{ body: text(String(i)) }])));
    expect(appended.map(([stored]) => stored!.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    // One transaction per append would be 100.
    expect(driver.transactions).toBeLessThan(10);
  });
});

describe('postgres listener', () => {
  it('recovers after its connection is terminated and delivers the events appended meanwhile', async () => {
    const name = await createTestDatabase();
    const errors: unknown[] = [];
    const a = await open(name, 'longhand-a', { listener: { ...NO_POLL, minBackoffMs: 300, onError: (e) => errors.push(e) } });
    const b = await open(name, 'longhand-b', { listener: NO_POLL });
    const session = makeSession();
    await b.sessions.create('wrkspc_a', session);
    const watcher = collect(a, session.id);
    await b.events.append(session.id, [{ body: text('before') }]);
    expect(await eventually(() => watcher.seen.length === 1)).toBe(true);

    const listenerPid = async () =>
      (
        await queryDatabase<{ pid: number }>(
          name,
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'longhand-a' AND query LIKE 'LISTEN%'`,
        )
      ).map((row) => row.pid);
    const [pid] = await listenerPid();
    expect(pid).toBeDefined();
    await withAdmin((client) => client.query(`SELECT pg_terminate_backend($1)`, [pid]));
    expect(await eventuallyAsync(async () => (await listenerPid()).length === 0)).toBe(true);

    await b.events.append(session.id, [{ body: text('while down 1') }]);
    await b.events.append(session.id, [{ body: text('while down 2') }, { body: text('while down 3') }]);
    expect(await eventually(() => watcher.seen.length === 4)).toBe(true);
    expect(watcher.seqs()).toEqual([1, 2, 3, 4]);
    expect(errors.length).toBeGreaterThan(0);

    // Listening again: a later append arrives by notification, not by polling.
    expect(await eventuallyAsync(async () => (await listenerPid()).some((p) => p !== pid))).toBe(true);
    await b.events.append(session.id, [{ body: text('after') }]);
    expect(await eventually(() => watcher.seen.length === 5)).toBe(true);
    expect(watcher.seqs()).toEqual([1, 2, 3, 4, 5]);
  });

  it('polls watched sessions, so an append or a deletion whose notification was lost still arrives', async () => {
    const name = await createTestDatabase();
    const store = await open(name, undefined, { listener: { pollIntervalMs: 50 } });
    const session = makeSession();
    await store.sessions.create('wrkspc_a', session);
    const watcher = collect(store, session.id);
    // Another writer that does not notify.
    await queryDatabase(
      name,
      `WITH bumped AS (UPDATE sessions SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq)
       INSERT INTO events (session_id, seq, id, type, processed_at, redelivery, body)
       SELECT $1, last_seq, 'sevt_quiet', 'user.message', $2, 0, $3 FROM bumped`,
      [session.id, new Date().toISOString(), JSON.stringify(text('quiet'))],
    );
    expect(await eventually(() => watcher.seen.length === 1)).toBe(true);
    expect(watcher.seen[0]!.event.id).toBe('sevt_quiet');
    await queryDatabase(name, `DELETE FROM sessions WHERE id = $1`, [session.id]);
    expect(await eventually(() => watcher.deleted())).toBe(true);
  });

  it('survives the server closing its idle pool connections', async () => {
    const name = await createTestDatabase();
    const errors: Error[] = [];
    const store = await open(name, 'longhand-a', { onConnectionError: (e) => errors.push(e) });
    const session = makeSession();
    await store.sessions.create('wrkspc_a', session);
    await Promise.all([store.sessions.get(session.id), store.events.read(session.id), store.events.headSeq(session.id)]);
    const ended = await withAdmin(async (client) =>
      (
        await client.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE datname = $1 AND application_name = 'longhand-a' AND query NOT LIKE 'LISTEN%'`,
          [name],
        )
      ).rowCount,
    );
    expect(ended).toBeGreaterThan(0);
    // Each idle connection reports its end once; the pool then opens new ones on demand.
    expect(await eventually(() => errors.length >= ended!)).toBe(true);
    const [stored] = await store.events.append(session.id, [{ body: text('still here') }]);
    expect(stored!.seq).toBe(1);
    expect((await store.sessions.get(session.id))!.lastSeq).toBe(1);
  });
});
