import { randomBytes } from 'node:crypto';
import { LocalPreviewChannel } from '../local-previews.js';
import type { PreviewChannel } from '../previews.js';
import type { Store } from '../store.js';
import { NO_REMOTE_WAKES, type WakeSignals } from '../wakes.js';
import type { SqlDriver } from './driver.js';
import { LATEST_SCHEMA_VERSION, migrate, type MigrationReport } from './migrations.js';
import { SqlDocuments } from './sql-documents.js';
import { SqlEventLog } from './sql-event-log.js';
import { SqlSessionTable } from './sql-sessions.js';

/** What an adapter adds to the shared SQL store. */
export interface SqlStoreOptions {
  /** Run when the store closes, before its driver does (an adapter's listener). */
  onClose?: () => Promise<void>;
  /** This store's identity in signals to other processes; random by default. */
  origin?: string;
  /** The preview channel; in-process by default. */
  previews?: PreviewChannel & { flush?(sessionId?: string): Promise<void> | undefined };
  /** Wakes from other processes; none by default. */
  wakes?: WakeSignals;
}

/** A `Store` over any SQL driver. Adapters add only what their database does differently. */
export class SqlStore implements Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly events: SqlEventLog;
  readonly sessions: SqlSessionTable;
  readonly documents: SqlDocuments;
  readonly previews: PreviewChannel;
  readonly wakes: WakeSignals;
  /** This store's identity in signals to other processes. */
  readonly origin: string;
  private readonly onClose: (() => Promise<void>) | undefined;
  private closed = false;

  constructor(
    readonly driver: SqlDriver,
    options: SqlStoreOptions = {},
  ) {
    this.dialect = driver.dialect;
    this.origin = options.origin ?? randomBytes(8).toString('hex');
    this.onClose = options.onClose;
    const previews: PreviewChannel & { flush?(sessionId?: string): Promise<void> | undefined } = options.previews ?? new LocalPreviewChannel();
    this.previews = previews;
    this.wakes = options.wakes ?? NO_REMOTE_WAKES;
    this.events = new SqlEventLog(driver, {
      origin: this.origin,
      ...(previews.flush ? { beforeAppend: (sessionId: string) => previews.flush!(sessionId) } : {}),
    });
    this.sessions = new SqlSessionTable(driver, this.origin, (sessionId) => this.events.hub.deleted(sessionId));
    this.documents = new SqlDocuments(driver);
  }

  /** Brings the schema up to date. Called once by the adapter's `open` function. */
  async migrate(): Promise<MigrationReport> {
    return migrate(this.driver);
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
