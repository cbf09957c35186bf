import { chownSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createBubblewrapProvider, DirWorkspaceStore, OverlayWorkspaceStore, SandboxManager } from '@longhand/sandbox';
import { recordingLogger, removeRoots, sandboxId, tempRoot, testUidRange } from '../support/providers.js';

const managers: SandboxManager[] = [];
afterAll(async () => {
  await Promise.all(managers.map((m) => m.closeAll()));
  removeRoots();
});

// Storage written by the phase-1 store (record version 1, layout "dir") must keep loading.
describe.each(['overlay', 'copy'] as const)('storage of the directory store (v1) under the layered store (%s)', (method) => {
  it('loads as the writable layer of an empty stack, and checkpoints and forks like any other', async () => {
    const root = tempRoot();
    const range = testUidRange();
    const old = new DirWorkspaceStore({ root, uids: range });
    const id = sandboxId();
    const record = await old.ensure(id);
    const view = await old.mount(id);
    writeFileSync(join(view.workspace, 'legacy.txt'), 'from phase 1\n');
    chownSync(join(view.workspace, 'legacy.txt'), record.uid, record.gid);
    const recordPath = join(root, 'workspaces', id, 'workspace.json');
    expect(JSON.parse(readFileSync(recordPath, 'utf8'))).toMatchObject({ version: 1, layout: 'dir' });

    const store = await OverlayWorkspaceStore.open({ root, uids: range, method });
    expect(await store.ensure(id)).toMatchObject({ uid: record.uid, gid: record.gid, createdAt: record.createdAt });
    expect(await store.layersOf(id)).toEqual([]);
    const manager = new SandboxManager({ provider: await createBubblewrapProvider({ root, uidRange: range, store, logger: recordingLogger() }) });
    managers.push(manager);
    const sandbox = await manager.acquire(id);
    expect((await sandbox.shell('cat /workspace/legacy.txt; stat -c %u /workspace/legacy.txt')).output).toBe('from phase 1\n1000\n');
    const { snapshot } = await manager.checkpoint(id);
    const fork = sandboxId();
    await manager.fork(snapshot, fork);
    expect((await (await manager.acquire(fork)).shell('cat /workspace/legacy.txt')).output).toBe('from phase 1\n');
    await manager.close(id);
    expect(JSON.parse(readFileSync(recordPath, 'utf8')).uid).toBe(record.uid);
  });
});
