import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DirWorkspaceStore } from '@longhand/sandbox';
import { removeRoots, tempRoot, testUidRange } from '../support/providers.js';

afterAll(removeRoots);

const mode = (path: string) => statSync(path).mode & 0o777;

describe('directory workspace store', () => {
  it('lays out a sandbox: a private writable layer owned by its own uid, beside its record', async () => {
    const root = tempRoot();
    const range = testUidRange();
    const store = new DirWorkspaceStore({ root, uids: range });
    const record = await store.ensure('sesn_a');
    expect(record.uid).toBeGreaterThanOrEqual(range.first);
    expect(record.uid).toBeLessThan(range.first + range.count);
    expect(record.gid).toBe(record.uid);
    const dir = join(root, 'workspaces', 'sesn_a');
    expect(JSON.parse(readFileSync(join(dir, 'workspace.json'), 'utf8'))).toMatchObject({ version: 1, id: 'sesn_a', uid: record.uid, layout: 'dir' });
    expect(mode(root)).toBe(0o711);
    expect(mode(join(dir, 'rw'))).toBe(0o700);
    for (const name of ['workspace', 'home', 'outputs']) expect(statSync(join(dir, 'rw', name)).uid).toBe(record.uid);
    expect(statSync(join(dir, 'uploads'))).toMatchObject({ uid: 0, gid: record.gid });
    expect(readFileSync(join(root, 'uids', String(record.uid)), 'utf8')).toBe('sesn_a');
    const mount = await store.mount('sesn_a');
    expect(mount).toEqual({ workspace: join(dir, 'rw', 'workspace'), home: join(dir, 'rw', 'home'), outputs: join(dir, 'rw', 'outputs'), uploads: join(dir, 'uploads') });
  });

  it('keeps one uid per sandbox, distinct between sandboxes, across store instances', async () => {
    const root = tempRoot();
    const range = testUidRange();
    const one = new DirWorkspaceStore({ root, uids: range });
    const two = new DirWorkspaceStore({ root, uids: range });
    const [a, again] = await Promise.all([one.ensure('sesn_same'), two.ensure('sesn_same')]);
    expect(again.uid).toBe(a.uid);
    const others = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).ensure(`sesn_${i}`)));
    expect(new Set([a.uid, ...others.map((r) => r.uid)]).size).toBe(21);
    expect(readdirSync(join(root, 'uids')).length).toBe(21);
  });

  it('refuses to mount storage that is not owned by the sandbox, or a symlink in place of a directory', async () => {
    const root = tempRoot();
    const store = new DirWorkspaceStore({ root, uids: testUidRange() });
    await store.ensure('sesn_owner');
    const rw = join(root, 'workspaces', 'sesn_owner', 'rw');
    chownSync(join(rw, 'workspace'), 0, 0);
    await expect(store.mount('sesn_owner')).rejects.toThrow(/refusing to start/);
    await store.ensure('sesn_link');
    const home = join(root, 'workspaces', 'sesn_link', 'rw', 'home');
    rmSync(home, { recursive: true });
    symlinkSync('/etc', home);
    await expect(store.mount('sesn_link')).rejects.toThrow(/not a directory owned by/);
  });

  it('destroys a sandbox\'s files and gives its uid back', async () => {
    const root = tempRoot();
    const store = new DirWorkspaceStore({ root, uids: testUidRange() });
    const record = await store.ensure('sesn_gone');
    await store.destroy('sesn_gone');
    expect(existsSync(join(root, 'workspaces', 'sesn_gone'))).toBe(false);
    expect(existsSync(join(root, 'uids', String(record.uid)))).toBe(false);
    await store.destroy('sesn_gone');
  });

  it('accepts only ids that name a directory', async () => {
    const store = new DirWorkspaceStore({ root: tempRoot(), uids: testUidRange() });
    for (const bad of ['', '..', '../x', '.hidden', 'a/b', 'x'.repeat(200)]) await expect(store.ensure(bad)).rejects.toThrow(/invalid sandbox id/);
  });

  it('refuses uid ranges that could reach root or login accounts, and roots sandbox uids cannot reach', () => {
    expect(() => new DirWorkspaceStore({ root: tempRoot(), uids: { first: 0, count: 10 } })).toThrow(/uid range/);
    expect(() => new DirWorkspaceStore({ root: tempRoot(), uids: { first: 1000, count: 10 } })).toThrow(/uid range/);
    const closed = tempRoot();
    chmodSync(closed, 0o700);
    mkdirSync(join(closed, 'inner'));
    expect(() => new DirWorkspaceStore({ root: join(closed, 'inner'), uids: testUidRange() })).toThrow(/not reachable by sandbox uids/);
  });
});
