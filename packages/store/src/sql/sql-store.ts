import type { Store } from '../store.js';
import type { SqlDriver } from './driver.js';
import { LATEST_SCHEMA_VERSION, migrate } from './migrations.js';
import { SqlDocuments } from './sql-documents.js';
import { SqlEventLog } from './sql-event-log.js';
import { SqlSessionTable } from './sql-sessions.js';

/** A `Store` over any SQL driver. Adapters add only what their database does differently. */
export class SqlStore implements Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly events: SqlEventLog;
  readonly sessions: SqlSessionTable;
  readonly documents: SqlDocuments;
  private closed = false;

  constructor(
    readonly driver: SqlDriver,
    private readonly onClose?: () => Promise<void>,
  ) {
    this.dialect = driver.dialect;
    this.events = new SqlEventLog(driver);
    this.sessions = new SqlSessionTable(driver, (sessionId) => this.events.hub.deleted(sessionId));
    this.documents = new SqlDocuments(driver);
  }

  /** Brings the schema up to date. Called once by the adapter's `open` function. */
  async migrate(): Promise<void> {
    await migrate(this.driver);
  }

  async now(): Promise<number> {
    const rows = await this.driver.all<{ now: number | string }>(`SELECT ${this.driver.nowMillisSql} AS now`);
    return Number(rows[0]!.now);
  }

  async schemaVersion(): Promise<number> {
    const rows = await this.driver.all<{ version: number | string | null }>(`SELECT MAX(version) AS version FROM schema_migrations`);
    return Number(rows[0]?.version ?? 0) || LATEST_SCHEMA_VERSION;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.events.close();
    await this.onClose?.();
    await this.driver.close();
  }
}
