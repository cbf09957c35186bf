import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION, type SqlDriver, type Store } from '@longhand/store';
import { migratePostgres, openPostgresStore, PostgresDriver } from '@longhand/store/postgres';
import { migrateSqlite, openSqliteStore, SqliteDriver } from '@longhand/store/sqlite';
import { createTestDatabase, databaseUrl, dropTestDatabases } from './postgres/test-databases.js';
import { text } from './conformance/fixtures.js';

/**
 * Databases written by earlier releases open in this one (DESIGN invariant 6). Each release
 * leaves a fixture, `fixtures/release-<version>.sql`: its schema exactly as released and rows
 * its store wrote. The fixtures are never edited; a test loads each into SQLite and PostgreSQL,
 * migrates it, and reads and writes it with the current store.
 */
const RELEASES = ['0.1.0'];
const SESSION = 'sesn_release010fixture0001';

function statements(release: string): string[] {
  const sql = readFileSync(join(import.meta.dirname, 'fixtures', `release-${release}.sql`), 'utf8');
  return sql
    .split(/;\n/)
    .map((statement) => statement.replace(/^--.*$/gm, '').trim())
    .filter((statement) => statement.length > 0);
}

async function load(driver: SqlDriver, release: string): Promise<void> {
  try {
    for (const statement of statements(release)) await driver.run(statement);
  } finally {
    await driver.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'longhand-release-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const opened: Store[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await dropTestDatabases();
});

/** Both adapters: how to put a fixture in a fresh database, migrate it, and open it. */
const ADAPTERS = {
  sqlite: async (release: string) => {
    const path = join(dir, `${release}-${Math.random().toString(36).slice(2)}.db`);
    await load(new SqliteDriver(path), release);
    return { migrate: () => migrateSqlite(path), open: () => openSqliteStore(path) };
  },
  postgres: async (release: string) => {
    const url = databaseUrl(await createTestDatabase());
    await load(new PostgresDriver(url), release);
    return { migrate: () => migratePostgres(url), open: () => openPostgresStore(url) };
  },
};

for (const release of RELEASES) {
  for (const [adapter, prepare] of Object.entries(ADAPTERS)) {
    describe(`a ${adapter} database written by release ${release}`, () => {
      it('migrates to the current schema, reporting the versions, and a second run finds nothing to do', async () => {
        const database = await prepare(release);
        const report = await database.migrate();
        expect(report.from).toBe(1);
        expect(report.to).toBe(LATEST_SCHEMA_VERSION);
        expect(report.applied.map((m) => m.version)).toEqual(Array.from({ length: LATEST_SCHEMA_VERSION - 1 }, (_, i) => i + 2));
        expect(await database.migrate()).toEqual({ from: LATEST_SCHEMA_VERSION, to: LATEST_SCHEMA_VERSION, applied: [] });
      });

      it('opens with its sessions, logs and documents as that release wrote them, and goes on', async () => {
        const database = await prepare(release);
        const store = await database.open();
        opened.push(store);
        expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
        const record = (await store.sessions.get(SESSION))!;
        expect(record.session.status).toBe('idle');
        expect(record.session.metadata).toEqual({ owner: 'fixture' });
        expect(record.session.usage.input_tokens).toBe(120);
        expect(record.lastSeq).toBe(12);
        expect(record.wakeSeq).toBe(0);
        const history = await store.events.read(SESSION);
        expect(history.map((e) => e.event.type)).toEqual([
          'user.message',
          'session.status_running',
          'session.thread_status_running',
          'span.model_request_start',
          'agent.tool_use',
          'span.model_request_end',
          'agent.tool_result',
          'agent.message',
          'session.thread_status_idle',
          'session.usage',
          'session.status_idle',
        ]);
        expect(history[0]!.event.processed_at).not.toBeNull();
        expect((await store.events.read(SESSION, { withRedeliveries: true })).filter((e) => e.redelivery)).toHaveLength(1);
        expect((await store.events.findByRef(SESSION, 'sevt_release010fixture0003')).map((e) => e.event.type)).toEqual(['agent.tool_result']);
        expect((await store.events.findById(SESSION, 'sevt_release010fixture0004'))!.internal).toMatchObject({ stop_reason: 'tool_use' });
        expect((await store.documents.get('environment', 'env_release010fixture001'))!.name).toBe('fixture-env');
        // The session goes on: input wakes it, a new lease outranks the old release's, seqs follow on.
        const [next] = await store.events.append(SESSION, [{ body: text('and now?'), processedAt: null }], { wake: true });
        expect(next!.seq).toBe(13);
        expect(await store.sessions.listRunnable(10)).toEqual([SESSION]);
        const lease = await store.sessions.acquireLease(SESSION, 'current-release', 60_000);
        expect(lease!.token).toBeGreaterThan(1);
        await store.events.append(SESSION, [{ body: { type: 'session.status_running' } }], { fence: lease! });
        expect((await store.sessions.get(SESSION))!.session.status).toBe('running');
      });
    });
  }
}
