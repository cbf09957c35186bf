import type { SqlDriver } from './driver.js';

/**
 * Versioned schema. A migration is never edited once released: later changes are new entries,
 * so a database written by any release opens in the next (DESIGN invariant 6).
 * The statements are portable between SQLite and PostgreSQL (TEXT, BIGINT, partial indexes).
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; statements: readonly string[] }> = [
  {
    version: 1,
    name: 'initial schema: documents, sessions, events',
    statements: [
      `CREATE TABLE documents (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        workspace_id TEXT NOT NULL,
        parent_id TEXT,
        ord BIGINT NOT NULL DEFAULT 0,
        name TEXT,
        created_at TEXT NOT NULL,
        archived_at TEXT,
        body TEXT NOT NULL,
        PRIMARY KEY (kind, id)
      )`,
      `CREATE INDEX documents_list ON documents (kind, workspace_id, created_at, id)`,
      `CREATE INDEX documents_children ON documents (kind, parent_id, ord)`,
      `CREATE INDEX documents_name ON documents (kind, name)`,
      `CREATE UNIQUE INDEX documents_unique_name ON documents (kind, workspace_id, (COALESCE(parent_id, '')), name)
        WHERE name IS NOT NULL AND archived_at IS NULL`,
      `CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL,
        status TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        agent_version BIGINT NOT NULL,
        environment_id TEXT NOT NULL,
        deployment_id TEXT,
        memory_store_ids TEXT NOT NULL DEFAULT '',
        parent_session_id TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        archived_at TEXT,
        usage TEXT NOT NULL DEFAULT '{}',
        active_ms BIGINT NOT NULL DEFAULT 0,
        running_since BIGINT,
        last_seq BIGINT NOT NULL DEFAULT 0,
        wake_seq BIGINT NOT NULL DEFAULT 0,
        lease_holder TEXT,
        lease_token BIGINT NOT NULL DEFAULT 0,
        lease_expires_at BIGINT NOT NULL DEFAULT 0,
        body TEXT NOT NULL
      )`,
      `CREATE INDEX sessions_list ON sessions (workspace_id, created_at, id)`,
      `CREATE INDEX sessions_runnable ON sessions (updated_at) WHERE wake_seq > 0`,
      `CREATE TABLE events (
        session_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        id TEXT NOT NULL,
        type TEXT NOT NULL,
        processed_at TEXT,
        redelivery SMALLINT NOT NULL DEFAULT 0,
        body TEXT NOT NULL,
        internal TEXT,
        ref_id TEXT,
        PRIMARY KEY (session_id, seq)
      )`,
      `CREATE INDEX events_by_id ON events (session_id, id)`,
      `CREATE INDEX events_by_ref ON events (session_id, ref_id) WHERE ref_id IS NOT NULL`,
    ],
  },
];

/** The newest schema version this build knows. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Applies every migration the database has not seen, each in its own transaction.
 * Refuses to open a database written by a newer release, rather than corrupting it.
 */
export async function migrate(driver: SqlDriver): Promise<number> {
  await driver.run(`CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  if (driver.dialect === 'postgres') {
    // Many processes may start at once against one database: serialise migrations.
    await driver.run(`SELECT pg_advisory_lock(4680)`);
  }
  try {
    const rows = await driver.all<{ version: number }>(`SELECT version FROM schema_migrations`);
    const applied = new Set(rows.map((row) => Number(row.version)));
    const newest = Math.max(0, ...applied);
    if (newest > LATEST_SCHEMA_VERSION) {
      throw new Error(
        `the database is at schema version ${newest}, newer than this Longhand build knows (${LATEST_SCHEMA_VERSION}); upgrade Longhand`,
      );
    }
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await driver.transaction(async (tx) => {
        for (const statement of migration.statements) await tx.run(statement);
        await tx.run(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, [
          migration.version,
          migration.name,
          new Date().toISOString(),
        ]);
      });
    }
    return LATEST_SCHEMA_VERSION;
  } finally {
    if (driver.dialect === 'postgres') await driver.run(`SELECT pg_advisory_unlock(4680)`);
  }
}
