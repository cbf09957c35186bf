/** Running the real `longhand` binary, and administering the test PostgreSQL server, from tests. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PostgresDriver } from '@longhand/store/postgres';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'longhand.js');

/** The PostgreSQL server the tests may create databases on. */
export const ADMIN_URL = process.env.LONGHAND_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Runs `longhand <args>` to completion. `DATABASE_URL` is cleared unless `env` sets it, so a
 * developer's own never leaks into a test.
 */
export function longhand(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, DATABASE_URL: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Runs one statement on the server's `postgres` database (CREATE/DROP DATABASE). */
export async function admin(sql: string): Promise<void> {
  const driver = new PostgresDriver(ADMIN_URL, { maxConnections: 1, onConnectionError: () => undefined });
  try {
    await driver.run(sql);
  } finally {
    await driver.close();
  }
}
