/**
 * A real sandbox for the tools' tests: the default bubblewrap provider of @longhand/sandbox, with
 * its storage in a temporary directory that is removed afterwards. No fake: what the tools are
 * tested against is what the runtime gives them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBubblewrapProvider, type Sandbox } from '@longhand/sandbox';

export interface TestSandbox {
  sandbox: Sandbox;
  /** Stops the sandbox and deletes its files. */
  close(): Promise<void>;
}

/** Opens and starts a fresh bubblewrap sandbox; `label` names its temporary storage. */
export async function openTestSandbox(label: string): Promise<TestSandbox> {
  const root = await mkdtemp(join(tmpdir(), `lh-tools-${label}-`));
  const id = `tools-${label}`;
  const provider = await createBubblewrapProvider({ root });
  const sandbox = await provider.open(id);
  await sandbox.start();
  return {
    sandbox,
    async close() {
      await sandbox.close();
      await provider.destroy(id).catch(() => {});
      await rm(root, { recursive: true, force: true });
    },
  };
}
