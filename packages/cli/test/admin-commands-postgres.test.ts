/**
 * `longhand keys` and `longhand workspaces` against a PostgreSQL deployment: what they create is
 * in the shared database, so a key made here opens the API of any process on that database.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '@longhand/runtime';
import { ADMIN_URL, admin, longhand } from './support/cli-process.js';

const name = `longhand_test_${randomBytes(6).toString('hex')}`;
let url: string;
let dataDir: string;

beforeAll(async () => {
  await admin(`CREATE DATABASE ${name}`);
  const parsed = new URL(ADMIN_URL);
  parsed.pathname = `/${name}`;
  url = parsed.toString();
  // An empty data directory: nothing may end up in a SQLite file there.
  dataDir = await mkdtemp(join(tmpdir(), 'longhand-admin-'));
});

afterAll(async () => {
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await rm(dataDir, { recursive: true, force: true });
});

describe('keys and workspaces on PostgreSQL', () => {
  it('creates a workspace and a key in the shared database, seen by a runtime on it', async () => {
    const made = await longhand(['workspaces', 'create', 'research', '--json', '--data-dir', dataDir], { DATABASE_URL: url });
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const workspace = JSON.parse(made.stdout) as { id: string; name: string };
    expect(workspace.name).toBe('research');

    const key = await longhand(['keys', 'create', '--workspace', 'research', '--name', 'ci', '--json', '--data-dir', dataDir, '--database-url', url], {});
    expect(key.code).toBe(0);
    const created = JSON.parse(key.stdout) as { key: string; workspace_id: string };
    expect(created.workspace_id).toBe(workspace.id);

    const runtime = await createRuntime({ dataDir, databaseUrl: url, role: 'api' });
    try {
      const principal = await runtime.auth.authenticate(created.key);
      expect(principal).toMatchObject({ workspaceId: workspace.id, admin: false });
    } finally {
      await runtime.close();
    }
    const listed = await longhand(['keys', 'list', '--workspace', 'research', '--json', '--data-dir', dataDir], { DATABASE_URL: url });
    expect((JSON.parse(listed.stdout) as Array<{ name: string }>).map((k) => k.name)).toEqual(['ci']);
    const sqliteFiles = readdirSync(dataDir).filter((file) => file.endsWith('.db'));
    expect(sqliteFiles).toEqual([]);
  });
});
