export type { Store } from './store.js';
export type {
  EventLog,
  StoredEvent,
  NewEvent,
  ProcessedMark,
  EventDraft,
  Fence,
  AppendOptions,
  EventQuery,
  Subscription,
  SubscriptionListener,
} from './event-log.js';
export type { SessionTable, SessionRecord, SessionQuery, SessionChanges, Lease } from './sessions.js';
export type { Documents, DocumentRow, DocumentQuery, DocumentUpdate } from './documents.js';
export { LeaseLostError, isLeaseLost, StoreClosedError } from './errors.js';
export { LATEST_SCHEMA_VERSION, MIGRATIONS } from './sql/migrations.js';
export type { MigrationReport } from './sql/migrations.js';
export type { PreviewChannel, PreviewListener } from './previews.js';
export { LocalPreviewChannel } from './local-previews.js';
export type { WakeSignals, WakeListener } from './wakes.js';
export { NO_REMOTE_WAKES } from './wakes.js';
export { SqlStore } from './sql/sql-store.js';
export type { SqlStoreOptions } from './sql/sql-store.js';
export type { SqlDriver, SqlExecutor } from './sql/driver.js';
export { UniqueViolation } from './sql/driver.js';
