import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION } from '@longhand/store';
import { ADMIN_URL, admin, longhand } from './support/cli-process.js';

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
