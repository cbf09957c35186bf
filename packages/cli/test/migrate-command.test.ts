import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION } from '@longhand/store';
import { PostgresDriver } from '@longhand/store/postgres';

const BIN = join(import.meta.dirname, '..', 'bin', 'longhand.js');
const ADMIN_URL = process.env.LONGHAND_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function longhand(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, DATABASE_URL: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

async function admin(sql: string): Promise<void> {
  const driver = new PostgresDriver(ADMIN_URL, { maxConnections: 1, onConnectionError: () => undefined });
  try {
    await driver.run(sql);
  } finally {
    await driver.close();
  }
}

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const step of cleanup) await step();
});

describe('longhand migrate', () => {
  it('creates and migrates the embedded database, then finds it up to date', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'longhand-migrate-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const first = await longhand(['migrate', '--data-dir', dataDir]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`SQLite ${join(dataDir, 'longhand.db')}`);
    expect(first.stdout).toContain('applied 1: initial schema');
    expect(first.stdout).toContain(`schema version ${LATEST_SCHEMA_VERSION} (was 0;`);
    const again = await longhand(['migrate', '--json'], { LONGHAND_DATA_DIR: dataDir });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ from: LATEST_SCHEMA_VERSION, to: LATEST_SCHEMA_VERSION, applied: [] });
  });

  it('migrates a PostgreSQL database named by DATABASE_URL, without showing its password', async () => {
    const name = `longhand_test_${randomBytes(6).toString('hex')}`;
    await admin(`CREATE DATABASE ${name}`);
    cleanup.push(() => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    url.password = 'not-a-real-secret';
    // The local server trusts loopback connections, so the password is never checked.
    const first = await longhand(['migrate'], { DATABASE_URL: url.toString() });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`PostgreSQL`);
    expect(first.stdout).toContain(`/${name}`);
    expect(first.stdout).not.toContain('not-a-real-secret');
    expect(first.stdout).toContain(`schema version ${LATEST_SCHEMA_VERSION}`);
    const again = await longhand(['migrate', '--database-url', url.toString()]);
    expect(again.stdout).toContain(`schema version ${LATEST_SCHEMA_VERSION} (up to date)`);
  });

  it('refuses a database URL that is not PostgreSQL', async () => {
    const result = await longhand(['migrate', '--database-url', 'mysql://db/longhand']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('postgres://');
  });
});
