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

/** What `migrate` did: the version it found, the version it left, and the migrations it applied in between. */
export interface MigrationReport {
  /** The schema version before (0 for an empty database). */
  from: number;
  /** The schema version now: the newest this build knows. */
  to: number;
  /** The migrations this call applied, oldest first (another process may have applied others). */
  applied: Array<{ version: number; name: string }>;
}

/** The newest schema version this build knows. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Applies every migration the database has not seen, each in its own transaction.
 * Refuses to open a database written by a newer release, rather than corrupting it.
 *
 * Many processes may start at once against one PostgreSQL database, so each transaction first
 * takes a transaction-scoped advisory lock: it is held on the transaction's own connection (a
 * session-level lock taken through a pool could be released on another connection, or never),
 * it covers creating `schema_migrations` itself (concurrent `CREATE TABLE IF NOT EXISTS` can
 * fail in PostgreSQL), and it ends with the transaction whatever happens. The applied versions
 * are read again under the lock, so a migration another process just applied is skipped.
 * SQLite needs no lock: its write transactions already exclude each other.
 */
export async function migrate(driver: SqlDriver): Promise<MigrationReport> {
  let from: number | undefined;
  const applied: MigrationReport['applied'] = [];
  for (;;) {
    const appliedOne = await driver.transaction(async (tx) => {
      if (driver.dialect === 'postgres') await tx.run(`SELECT pg_advisory_xact_lock(4680)`);
      await tx.run(`CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
      const rows = await tx.all<{ version: number | string }>(`SELECT version FROM schema_migrations`);
      const done = new Set(rows.map((row) => Number(row.version)));
      const newest = Math.max(0, ...done);
      from ??= newest;
      if (newest > LATEST_SCHEMA_VERSION) {
        throw new Error(
          `the database is at schema version ${newest}, newer than this Longhand build knows (${LATEST_SCHEMA_VERSION}); upgrade Longhand`,
        );
      }
      const next = MIGRATIONS.find((migration) => !done.has(migration.version));
      if (!next) return false;
      for (const statement of next.statements) await tx.run(statement);
      await tx.run(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, [
        next.version,
        next.name,
        new Date().toISOString(),
      ]);
      applied.push({ version: next.version, name: next.name });
      return true;
    });
    if (!appliedOne) return { from: from ?? 0, to: LATEST_SCHEMA_VERSION, applied };
  }
}
