import type { Environment } from '@longhand/protocol';
import { createNetworkPolicy, type Sandbox } from '@longhand/sandbox';
import type { Store } from '@longhand/store';
import { openMemoryStore } from '@longhand/store/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ENVIRONMENT_BASE, EnvironmentBases, type BaseHands } from '../../../src/hands/packages/environment-bases.js';

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

async function environmentIn(store: Store, npm: string[]): Promise<Environment> {
  const environment: Environment = {
    type: 'environment', id: `env_${Math.random().toString(36).slice(2)}`, name: 'e', description: null, metadata: {}, archived_at: null, created_at: '', updated_at: '',
    config: { type: 'cloud', networking: { type: 'unrestricted' }, packages: { type: 'packages', apt: [], cargo: [], gem: [], go: [], npm, pip: [] } },
  };
  await store.documents.insert({ kind: 'environment', id: environment.id, workspaceId: 'wrkspc_a', parentId: null, ord: 0, name: environment.id, createdAt: '', archivedAt: null, body: environment });
  return environment;
}

/** Hands that record what the bases ask of them; installs succeed unless `failing` says otherwise. */
class RecordingHands implements BaseHands {
  readonly started: string[] = [];
  readonly discarded: string[] = [];
  readonly files = new Map<string, string[]>();
  failing = false;
  builds = 0;

  async start(id: string): Promise<Sandbox> {
    this.started.push(id);
    const failing = this.failing;
    return {
      exec: async (argv: readonly string[]) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const install = argv[0] === 'env';
        return { stdout: new TextEncoder().encode(install && failing ? 'E404 left-pad' : ''), stderr: new Uint8Array(), exitCode: install && failing ? 1 : 0, timedOut: false, interrupted: false, truncated: false };
      },
    } as unknown as Sandbox;
  }
  async freeze(): Promise<string[]> {
    this.builds += 1;
    return [`sha256:${String(this.builds).padStart(64, '0')}`];
  }
  async discard(id: string): Promise<void> {
    this.discarded.push(id);
  }
  hasStorage(id: string): boolean {
    return this.files.has(id);
  }
  async fork(layers: string[], id: string): Promise<void> {
    this.files.set(id, layers);
  }
  home(): string {
    return '/home/agent';
  }
}

async function setUp(retryAfterMs = 60_000) {
  const store = await openMemoryStore();
  stores.push(store);
  const hands = new RecordingHands();
  const bases = () =>
    new EnvironmentBases(store, hands, {
      plan: () => [{ manager: 'npm', probe: ['npm', '--version'], missing: 'no npm', argv: ['npm', 'install'], env: {} }],
      policy: () => createNetworkPolicy({ networking: { type: 'unrestricted' } }),
      timeoutMs: 1000,
      retryAfterMs,
      log: () => undefined,
    });
  return { store, hands, bases };
}

describe('EnvironmentBases', () => {
  it('builds once for sessions that ask at the same time, and forks each from it', async () => {
    const { store, hands, bases } = await setUp();
    const environment = await environmentIn(store, ['left-pad']);
    const shared = bases();
    await Promise.all(['s1', 's2', 's3'].map((id) => shared.prepare(id, environment.id)));
    expect(hands.started).toHaveLength(1);
    expect([...hands.files.values()]).toEqual([[`sha256:${'0'.repeat(63)}1`], [`sha256:${'0'.repeat(63)}1`], [`sha256:${'0'.repeat(63)}1`]]);
    expect(hands.discarded).toEqual(hands.started);
    const [row] = await store.documents.listKind(ENVIRONMENT_BASE, undefined, 10);
    expect(row).toMatchObject({ parentId: environment.id, workspaceId: 'wrkspc_a', body: { environment_id: environment.id, layers: [`sha256:${'0'.repeat(63)}1`] } });
  });

  it('finds the recorded base after a restart, and leaves sessions with files alone', async () => {
    const { store, hands, bases } = await setUp();
    const environment = await environmentIn(store, ['left-pad']);
    await bases().prepare('s1', environment.id);
    hands.files.set('s2', ['mine']);
    const restarted = bases();
    await restarted.prepare('s2', environment.id);
    await restarted.prepare('s3', environment.id);
    expect(hands.started).toHaveLength(1);
    expect(hands.files.get('s2')).toEqual(['mine']);
    expect(hands.files.get('s3')).toEqual(hands.files.get('s1'));
    expect(await restarted.referencedLayers()).toEqual(new Set(hands.files.get('s1')));
  });

  it('does nothing for an environment without packages, or one that is gone', async () => {
    const { store, hands, bases } = await setUp();
    const environment = await environmentIn(store, []);
    await bases().prepare('s1', environment.id);
    await bases().prepare('s2', 'env_gone');
    expect(hands.started).toEqual([]);
    expect(hands.files.size).toBe(0);
  });

  it('remembers a failure for a while, records nothing, then tries again', async () => {
    const { store, hands, bases } = await setUp(150);
    const environment = await environmentIn(store, ['left-pad']);
    const shared = bases();
    hands.failing = true;
    await expect(shared.prepare('s1', environment.id)).rejects.toThrow(/npm failed to install the environment's packages \(exit 1\)\n--- last output ---\nE404 left-pad/);
    await expect(shared.prepare('s2', environment.id)).rejects.toThrow(/E404/);
    expect(hands.started).toHaveLength(1);
    expect(hands.discarded).toEqual(hands.started);
    expect(await store.documents.listKind(ENVIRONMENT_BASE, undefined, 10)).toEqual([]);
    hands.failing = false;
    await new Promise((resolve) => setTimeout(resolve, 200));
    await shared.prepare('s2', environment.id);
    expect(hands.started).toHaveLength(2);
    expect(hands.files.has('s2')).toBe(true);
  });
});
