import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createBubblewrapProvider, SandboxManager } from '@longhand/sandbox';
import { hostPidsOfUid } from './support/host-processes.js';
import { recordingLogger, removeRoots, sandboxId, tempRoot, testUidRange } from './support/providers.js';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
const managers: SandboxManager[] = [];

afterAll(async () => {
  await Promise.all(managers.map((m) => m.closeAll()));
  removeRoots();
});

/** A manager over a bubblewrap provider; the same `root` and `uidRange` reopen the same storage. */
async function manager(root: string, uidRange = testUidRange(), idleTimeoutMs?: number): Promise<SandboxManager> {
  const provider = await createBubblewrapProvider({ root, uidRange, logger: recordingLogger() });
  const created = new SandboxManager({ provider, idleTimeoutMs });
  managers.push(created);
  return created;
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('SandboxManager', () => {
  it('hands out one running sandbox per session', async () => {
    const sandboxes = await manager(tempRoot());
    const id = sandboxId();
    const [a, b] = await Promise.all([sandboxes.acquire(id), sandboxes.acquire(id)]);
    expect(a).toBe(b);
    expect(await sandboxes.isRunning(id)).toBe(true);
    const other = await sandboxes.acquire(sandboxId());
    expect(other).not.toBe(a);
    expect((await sandboxes.hostIdentity(id)).uid).not.toBe((await sandboxes.hostIdentity(other.id)).uid);
  });

  it('suspends an idle sandbox (no process left, files kept) and resumes it on the next call', async () => {
    const sandboxes = await manager(tempRoot(), testUidRange(), 300);
    const id = sandboxId();
    const sandbox = await sandboxes.acquire(id);
    await sandbox.writeFile('/workspace/state.txt', 'before idle');
    await sandbox.shell('echo "in home" > ~/home.txt');
    const { uid } = await sandboxes.hostIdentity(id);
    await until(async () => !(await sandboxes.isRunning(id)), 'the idle suspension');
    expect(hostPidsOfUid(uid)).toEqual([]);
    const result = await sandbox.shell('cat /workspace/state.txt ~/home.txt');
    expect(result.output).toBe('before idlein home\n');
    expect(await sandboxes.isRunning(id)).toBe(true);
  });

  it('never suspends a sandbox while a call is running', async () => {
    const sandboxes = await manager(tempRoot(), testUidRange(), 100);
    const sandbox = await sandboxes.acquire(sandboxId());
    const result = await sandbox.shell('sleep 1; echo finished');
    expect(result).toMatchObject({ output: 'finished\n', exitCode: 0 });
  });

  it('keeps /workspace and home across a restart of the host process (a new manager, same root)', async () => {
    const root = tempRoot();
    const range = testUidRange();
    const id = sandboxId();
    const first = await manager(root, range);
    const before = await first.acquire(id);
    await before.shell('mkdir -p /workspace/src && echo "code" > /workspace/src/main.ts && echo "token=local" > ~/.config-file && git --version > /dev/null');
    const { uid } = await first.hostIdentity(id);
    await first.closeAll();
    expect(hostPidsOfUid(uid)).toEqual([]);

    const second = await manager(root, range);
    const after = await second.acquire(id);
    expect(text(await after.readFile('/workspace/src/main.ts'))).toBe('code\n');
    expect((await after.shell('cat ~/.config-file; stat -c %u /workspace/src/main.ts')).output).toBe('token=local\n1000\n');
    expect((await second.hostIdentity(id)).uid).toBe(uid);
  });

  it('closes a session for good in this process, and destroy deletes its files', async () => {
    const sandboxes = await manager(tempRoot());
    const id = sandboxId();
    const sandbox = await sandboxes.acquire(id);
    await sandbox.writeFile('/workspace/doomed.txt', 'x');
    await sandboxes.close(id);
    await expect(sandbox.shell('true')).rejects.toMatchObject({ code: 'closed' });
    const again = await sandboxes.acquire(id);
    expect(text(await again.readFile('/workspace/doomed.txt'))).toBe('x');
    await sandboxes.destroy(id);
    const fresh = await sandboxes.acquire(id);
    expect(await fresh.stat('/workspace/doomed.txt')).toBeUndefined();
  });
});
