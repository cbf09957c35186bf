import pg from 'pg';
import { StoreClosedError } from '../errors.js';
import { UniqueViolation, type SqlDriver, type SqlExecutor } from '../sql/driver.js';
import { numberPlaceholders } from './placeholders.js';

/** How the PostgreSQL adapter connects. */
export interface PostgresDriverOptions {
  /** Most connections the pool holds open at once. Default 10. */
  maxConnections?: number;
  /**
   * Told about a connection that failed outside any query (an idle connection the server closed).
   * The pool replaces such a connection by itself; the default prints a warning.
   */
  onConnectionError?: (error: Error) => void;
}

const UNIQUE_VIOLATION = '23505';
/** Distinct statements the placeholder cache keeps; the shared SQL has far fewer shapes than this. */
const CACHE_LIMIT = 2000;

/** BIGINT columns (seqs, tokens, epoch milliseconds) come back as numbers, never silently rounded. */
function parseInt8(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new RangeError(`the BIGINT ${value} does not fit a JavaScript number`);
  return parsed;
}

/** Per-pool type parsers, so that nothing else in the process that uses `pg` is affected. */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary'
      ? parseInt8
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** The connection settings every connection of a store shares, listener included. */
export function connectionConfig(url: string): pg.ClientConfig {
  return { connectionString: url, types: TYPES, keepAlive: true, application_name: 'longhand' };
}

function translate(error: unknown): unknown {
  if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) return new UniqueViolation(error);
  return error;
}

function warnConnectionError(error: Error): void {
  console.warn(`longhand store: a PostgreSQL connection failed and will be replaced: ${error.message}`);
}

/**
 * A PostgreSQL database through a `pg` connection pool. Statements outside a transaction take
 * any free connection; a transaction holds one connection from BEGIN to COMMIT. Notifications
 * go out with `pg_notify` inside the writing transaction, so PostgreSQL delivers them exactly
 * when the transaction commits and never for one that rolls back.
 */
export class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  /** The wall clock of the database, which moves within a transaction (unlike `now()`). */
  readonly nowMillisSql = `CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000) AS BIGINT)`;
  private readonly pool: pg.Pool;
  private readonly texts = new Map<string, string>();
  private readonly onConnectionError: (error: Error) => void;
  private closed = false;
  private ended: Promise<void> | undefined;

  constructor(url: string, options: PostgresDriverOptions = {}) {
    this.onConnectionError = options.onConnectionError ?? warnConnectionError;
    this.pool = new pg.Pool({ ...connectionConfig(url), max: options.maxConnections ?? 10 });
    // Without a listener, an idle connection that the server drops would crash the process.
    this.pool.on('error', (error) => this.onConnectionError(error));
  }

  async all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    this.assertOpen();
    return (await this.query(this.pool, sql, params)).rows as T[];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    this.assertOpen();
    return (await this.query(this.pool, sql, params)).rowCount ?? 0;
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    this.assertOpen();
    const client = await this.pool.connect();
    // A checked-out connection has no pool listener: one that dies between statements must
    // neither crash the process nor go back to the pool.
    let broken: Error | undefined;
    const onError = (error: Error): void => {
      broken = error;
    };
    client.on('error', onError);
    const tx: SqlExecutor = {
      all: async <R>(sql: string, params: readonly unknown[] = []) => (await this.query(client, sql, params)).rows as R[],
      run: async (sql: string, params: readonly unknown[] = []) => (await this.query(client, sql, params)).rowCount ?? 0,
    };
    try {
      await client.query('BEGIN');
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      if (!broken) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
      }
      throw error;
    } finally {
      client.removeListener('error', onError);
      client.release(broken ?? false);
    }
  }

  /** `pg_notify` is transactional: the payloads are delivered when the enclosing transaction commits. */
  notifySql(notes: ReadonlyArray<readonly [channel: string, payload: string]>): { sql: string; params: unknown[] } {
    return { sql: `SELECT ${notes.map(() => 'pg_notify(?, ?)').join(', ')}`, params: notes.flat() };
  }

  /** Waits for transactions in flight, then closes every connection. Idempotent. */
  close(): Promise<void> {
    this.closed = true;
    this.ended ??= this.pool.end();
    return this.ended;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  private async query(on: pg.Pool | pg.PoolClient, sql: string, params: readonly unknown[]): Promise<pg.QueryResult> {
    try {
      return await on.query(this.text(sql), params as unknown[]);
    } catch (error) {
      throw translate(error);
    }
  }

  private text(sql: string): string {
    let text = this.texts.get(sql);
    if (text === undefined) {
      text = numberPlaceholders(sql);
      if (this.texts.size >= CACHE_LIMIT) this.texts.clear();
      this.texts.set(sql, text);
    }
    return text;
  }
}
