import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT_BASE, type EnvironmentBase } from '@longhand/runtime';
import { startNpmRegistry, type NpmRegistry } from './support/npm-registry.js';
import { PackageRig } from './support/package-rig.js';

const RETRY_MS = 3000;

let registry: NpmRegistry;
let rig: PackageRig;
beforeAll(async () => {
  registry = await startNpmRegistry([
    { name: 'hello-longhand', version: '1.0.0', output: 'hello from npm' },
    { name: 'hello-other', version: '2.0.0', output: 'hello from the other one' },
  ]);
  rig = await PackageRig.start({ mirrors: { npm: registry.url }, retryAfterMs: RETRY_MS });
}, 120_000);
afterAll(async () => {
  await rig?.close();
  await registry?.close();
});

async function basesOf(environment: string): Promise<EnvironmentBase[]> {
  const rows = await rig.runtime.store.documents.listKind<EnvironmentBase>(ENVIRONMENT_BASE, undefined, 100);
  return rows.filter((row) => row.parentId === environment).map((row) => row.body);
}

async function layerStored(layer: string): Promise<boolean> {
  return (await rig.runtime.hands!.workspaces.layerInfo(layer)) !== undefined;
}

/** Sandbox storage and proxy directories left by package builds. */
function buildLeftovers(): string[] {
  const root = join(rig.dataDir, 'sandbox');
  return ['workspaces', 'sessions'].flatMap((dir) => {
    try {
      return readdirSync(join(root, dir)).filter((name) => name.startsWith('pkgbase-'));
    } catch {
      return [];
    }
  });
}

describe('when an environment changes its packages', () => {
  it('new sessions start from a new base, and sessions with files keep theirs', async () => {
    const environment = await rig.environment({ npm: ['hello-longhand'] });
    const before = await rig.session(environment);
    expect(await rig.run(before, 'hello-longhand')).toBe('hello from npm');
    const [oldBase] = await basesOf(environment);

    await rig.client.beta.environments.update(environment, { config: { type: 'cloud', packages: { npm: ['hello-other'] } } } as never);
    const after = await rig.session(environment);
    expect(await rig.run(after, 'hello-other; command -v hello-longhand || echo "no hello-longhand"')).toBe('hello from the other one\nno hello-longhand');
    expect(await rig.run(before, 'hello-longhand; command -v hello-other || echo "no hello-other"')).toBe('hello from npm\nno hello-other');

    // Only the current base is recorded; the old one lives on in the session standing on it.
    const bases = await basesOf(environment);
    expect(bases.map((base) => base.packages_hash)).not.toContain(oldBase!.packages_hash);
    expect(bases).toHaveLength(1);
    expect(buildLeftovers()).toEqual([]);

    // Garbage collection (run when a session is deleted) keeps the recorded base even with no
    // session left on it, and frees the old one once its last session is gone.
    await rig.client.beta.sessions.delete(after);
    expect(await layerStored(bases[0]!.layers[0]!)).toBe(true);
    expect(await layerStored(oldBase!.layers[0]!)).toBe(true);
    await rig.client.beta.sessions.delete(before);
    expect(await layerStored(bases[0]!.layers[0]!)).toBe(true);
    expect(await layerStored(oldBase!.layers[0]!)).toBe(false);
    const later = await rig.session(environment);
    expect(await rig.run(later, 'hello-other')).toBe('hello from the other one');
  }, 240_000);
});

describe('a failed install', () => {
  it('tells the session why, records nothing, and is tried again after a while', async () => {
    const environment = await rig.environment({ npm: ['not-published-yet'] });
    const first = await rig.session(environment);
    const builds = rig.builds;
    const failure = await rig.run(first, 'echo never');
    expect(failure).toContain('The sandbox could not be started');
    expect(failure).toContain('npm failed to install the environment\'s packages (exit 1)');
    expect(failure).toMatch(/--- last output ---\n[\s\S]*404[\s\S]*not-published-yet/);
    expect(await basesOf(environment)).toEqual([]);
    expect(buildLeftovers()).toEqual([]);
    expect(rig.builds).toBe(builds + 1);

    // Within the retry time, another session gets the same answer without a new attempt.
    const second = await rig.session(environment);
    expect(await rig.run(second, 'echo never')).toContain('npm failed to install');
    expect(rig.builds).toBe(builds + 1);

    registry.add({ name: 'not-published-yet', version: '0.1.0', output: 'published now' });
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS + 200));
    expect(await rig.run(second, 'not-published-yet')).toBe('published now');
    expect(await rig.run(first, 'not-published-yet')).toBe('published now');
    expect(rig.builds).toBe(builds + 2);
    expect(await basesOf(environment)).toHaveLength(1);
  }, 240_000);

  it('names a package manager the sandbox image lacks', async () => {
    const environment = await rig.environment({ gem: ['rake'] });
    const session = await rig.session(environment);
    expect(await rig.run(session, 'echo never')).toContain('gem is not installed in the sandbox image');
    expect(buildLeftovers()).toEqual([]);
  }, 120_000);
});
