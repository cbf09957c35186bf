import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { UniqueViolation, type SqlDriver, type SqlExecutor } from '../sql/driver.js';

type Statement = Database.Statement<unknown[]>;

/**
 * A SQLite database through better-sqlite3: WAL, `synchronous=FULL` (every commit is fsynced),
 * foreign keys on. better-sqlite3 is synchronous, so one connection serves the process; a lock
 * keeps an open transaction from seeing statements of unrelated callers between its awaits.
 */
export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  readonly nowMillisSql = `CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER)`;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Statement>();
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
  }

  all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.exclusive(() => this.allNow<T>(sql, params));
  }

  run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.exclusive(() => this.runNow(sql, params));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const tx: SqlExecutor = {
        all: async <R>(sql: string, params: readonly unknown[] = []) => this.allNow<R>(sql, params),
        run: async (sql: string, params: readonly unknown[] = []) => this.runNow(sql, params),
      };
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(tx);
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail.catch(() => undefined);
    this.db.close();
  }

  private exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the SQLite database is closed'));
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private prepare(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare<unknown[]>(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private allNow<T>(sql: string, params: readonly unknown[]): T[] {
    try {
      const statement = this.prepare(sql);
      if (!statement.reader) {
        statement.run(...params.map(toSqlite));
        return [];
      }
      return statement.all(...params.map(toSqlite)) as T[];
    } catch (error) {
      throw translate(error);
    }
  }

  private runNow(sql: string, params: readonly unknown[]): number {
    try {
      const statement = this.prepare(sql);
      if (statement.reader) {
        statement.all(...params.map(toSqlite));
        return 0;
      }
      return statement.run(...params.map(toSqlite)).changes;
    } catch (error) {
      throw translate(error);
    }
  }
}

function toSqlite(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

function translate(error: unknown): unknown {
  const code = (error as { code?: string }).code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return new UniqueViolation(error);
  return error;
}
