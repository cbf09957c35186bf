/** Runs SQL written with `?` placeholders; drivers translate to their own syntax. */
export interface SqlExecutor {
  all<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a statement and returns how many rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

/**
 * The small port every SQL database is reached through (after Kysely's `Driver`). The event
 * log, sessions and documents are written once against it.
 */
export interface SqlDriver extends SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  /** SQL for "now" in epoch milliseconds, evaluated by the database. */
  readonly nowMillisSql: string;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws.
   * No other statement of this driver runs inside it.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * One statement that posts notifications (`[channel, payload]` each), delivered to other
   * processes, in this order, when the current transaction commits.
   */
  notifySql?(notes: ReadonlyArray<readonly [channel: string, payload: string]>): { sql: string; params: unknown[] };
  close(): Promise<void>;
}

/** Raised by drivers for a unique-constraint violation, whatever the database's own code. */
export class UniqueViolation extends Error {
  readonly code = 'unique_violation';
  constructor(cause: unknown) {
    super('unique constraint violated', { cause });
    this.name = 'UniqueViolation';
  }
}
