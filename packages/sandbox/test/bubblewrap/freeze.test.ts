import { statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProvidedSandbox } from '@longhand/sandbox';
import { bubblewrapProvider, removeRoots, sandboxId, tempRoot } from '../support/providers.js';

const opened: ProvidedSandbox[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  removeRoots();
});

/** A sandbox running a loop that forks a new process for every line it appends. */
async function busySandbox(): Promise<{ sandbox: ProvidedSandbox; size: () => number }> {
  const root = tempRoot();
  const provider = await bubblewrapProvider({ root });
  const id = sandboxId();
  const sandbox = await provider.open(id);
  opened.push(sandbox);
  await sandbox.start();
  await sandbox.shell("(while :; do sh -c 'echo x >> /workspace/count'; done) >/dev/null 2>&1 &");
  // New files land in the writable layer, which the host can watch.
  const file = join(root, 'workspaces', id, 'rw', 'workspace', 'count');
  const size = () => {
    try {
      return statSync(file).size;
    } catch {
      return 0;
    }
  };
  while (size() === 0) await sleep(5);
  return { sandbox, size };
}

async function grows(size: () => number): Promise<boolean> {
  const before = size();
  for (let i = 0; i < 200; i++) {
    await sleep(10);
    if (size() > before) return true;
  }
  return false;
}

describe('freezing a running sandbox', () => {
  it('stops every process, forks in flight included, for the whole callback, then thaws', async () => {
    const { sandbox, size } = await busySandbox();
    expect(sandbox.freezable).toBe(true);
    const [before, after] = await sandbox.quiesce!(async () => {
      const first = size();
      await sleep(300);
      return [first, size()];
    });
    expect(after).toBe(before);
    expect(await grows(size)).toBe(true);
    expect((await sandbox.shell('echo alive')).output).toBe('alive\n');
  });

  it('thaws when the callback fails', async () => {
    const { sandbox, size } = await busySandbox();
    await expect(sandbox.quiesce!(async () => Promise.reject(new Error('snapshot failed')))).rejects.toThrow('snapshot failed');
    expect(await grows(size)).toBe(true);
  });

  it('runs the callback directly on a sandbox that is not running', async () => {
    const provider = await bubblewrapProvider();
    const sandbox = await provider.open(sandboxId());
    expect(await sandbox.quiesce!(async () => 'ran')).toBe('ran');
  });

  it('keeps the writable layer out of the sandbox\'s view (hazard 5)', async () => {
    const root = tempRoot();
    const provider = await bubblewrapProvider({ root });
    const sandbox = await provider.open(sandboxId());
    opened.push(sandbox);
    const result = await sandbox.shell(`ls ${root} 2>&1; ls /workspace/.. ; grep -c " /workspace " /proc/self/mountinfo`);
    expect(result.output).toContain('No such file or directory');
    expect(result.output).not.toMatch(/\brw\b|\bovl\b|\bmerged\b/);
  });
});
