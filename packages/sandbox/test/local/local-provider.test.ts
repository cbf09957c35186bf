import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalProvider, type LocalProviderOptions } from '@longhand/sandbox';
import { expectSandboxError } from '../conformance/sandbox-conformance.js';
import { localProvider, recordingLogger, removeRoots, sandboxId, tempRoot } from '../support/providers.js';

afterAll(removeRoots);

describe('local (unsandboxed) provider', () => {
  it('must be chosen explicitly', () => {
    expect(() => new LocalProvider({ root: tempRoot() } as unknown as LocalProviderOptions)).toThrow(/acknowledgeNoIsolation/);
    expect(() => new LocalProvider({ root: tempRoot(), acknowledgeNoIsolation: 'yes' } as unknown as LocalProviderOptions)).toThrow(/without any isolation/);
  });

  it('warns loudly every time a sandbox starts', async () => {
    const logger = recordingLogger();
    const provider = localProvider({ logger });
    const sandbox = await provider.open(sandboxId());
    await sandbox.shell('true');
    await sandbox.suspend();
    await sandbox.shell('true');
    await sandbox.close();
    expect(logger.warnings).toHaveLength(2);
    for (const warning of logger.warnings) expect(warning).toMatch(/WITHOUT ISOLATION/);
  });

  it('keeps its files in the same layout, and confines file operations to them', async () => {
    const root = tempRoot();
    const provider = localProvider({ root });
    const id = sandboxId();
    const sandbox = await provider.open(id);
    const view = (await provider.store()).viewOf(id);
    expect(sandbox.workdir).toBe(view.workspace);
    await sandbox.writeFile('notes.txt', 'local');
    // New files land in the writable layer, shown (merged with the layers below) at the view.
    expect(readFileSync(join(root, 'workspaces', id, 'rw', 'workspace', 'notes.txt'), 'utf8')).toBe('local');
    expect((await sandbox.shell('echo $HOME')).output).toBe(`${view.home}\n`);
    const uploads = join(root, 'workspaces', id, 'uploads');
    await expectSandboxError(sandbox.writeFile(join(uploads, 'x.txt'), 'x'), 'read_only');
    expect(existsSync(join(uploads, 'x.txt'))).toBe(false);
    await expectSandboxError(sandbox.readFile(join(root, 'workspaces', id, 'workspace.json')), 'outside_workspace');
    await sandbox.close();
  });

  it('keeps the server\'s environment out', async () => {
    process.env.LONGHAND_LOCAL_SECRET = 'do-not-leak';
    try {
      const sandbox = await localProvider().open(sandboxId());
      expect((await sandbox.shell('env | grep -c LONGHAND_LOCAL_SECRET; echo "[$LONGHAND_LOCAL_SECRET]"')).output).toBe('0\n[]\n');
      await sandbox.close();
    } finally {
      delete process.env.LONGHAND_LOCAL_SECRET;
    }
  });
});
