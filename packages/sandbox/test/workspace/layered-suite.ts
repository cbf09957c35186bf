import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createBubblewrapProvider, OverlayWorkspaceStore, SandboxManager, type Sandbox, type UidRange } from '@longhand/sandbox';
import { recordingLogger, removeRoots, sandboxId, tempRoot, testUidRange } from '../support/providers.js';

/** A manager over a bubblewrap provider whose store uses `method`; the same root and range reopen it. */
async function open(method: 'overlay' | 'copy', root = tempRoot(), uidRange: UidRange = testUidRange()) {
  const store = await OverlayWorkspaceStore.open({ root, uids: uidRange, method });
  const provider = await createBubblewrapProvider({ root, uidRange, store, logger: recordingLogger() });
  const manager = new SandboxManager({ provider });
  return { root, uidRange, store, manager };
}

const sh = async (sandbox: Sandbox, command: string) => {
  const result = await sandbox.shell(command);
  expect(result.exitCode, `${command}: ${result.output}`).toBe(0);
  return result.output;
};

/**
 * Checkpoints, forks, restores and collection through the manager, against real bubblewrap
 * sandboxes, for one method of the layered store (both must behave the same).
 */
export function layeredSuite(method: 'overlay' | 'copy'): void {
  describe(`layered workspaces (${method})`, () => {
    const managers: SandboxManager[] = [];
    const opened = async (root?: string, range?: UidRange) => {
      const made = await open(method, root, range);
      expect(made.store.method).toBe(method);
      managers.push(made.manager);
      return made;
    };
    afterAll(async () => {
      await Promise.all(managers.map((m) => m.closeAll()));
      removeRoots();
    });

    it('forks a checkpoint into sandboxes that share nothing written after it, in any direction', async () => {
      const { manager } = await opened();
      const parent = sandboxId();
      const sandbox = await manager.acquire(parent);
      await sh(sandbox, 'echo base > /workspace/a.txt && mkdir -p /workspace/d && echo keep > /workspace/d/k && echo home > ~/h');
      const { snapshot } = await manager.checkpoint(parent);
      expect(snapshot.layers.length).toBeGreaterThan(0);
      await sh(sandbox, 'echo after > /workspace/a.txt && rm /workspace/d/k && echo new > /workspace/parent-only');
      const forks = [sandboxId(), sandboxId(), sandboxId()];
      for (const fork of forks) await manager.fork(snapshot, fork);
      const children = await Promise.all(forks.map((fork) => manager.acquire(fork)));
      await Promise.all(children.map((child, i) => sh(child, `echo fork${i} > /workspace/a.txt && echo only${i} > /workspace/f${i} && rm ~/h`)));
      for (const [i, child] of children.entries()) {
        expect(await sh(child, 'cat /workspace/a.txt /workspace/d/k; ls /workspace; stat -c %u /workspace/d/k; ls ~')).toBe(`fork${i}\nkeep\na.txt\nd\nf${i}\n1000\n`);
      }
      expect(await sh(sandbox, 'cat /workspace/a.txt ~/h; ls /workspace /workspace/d')).toBe('after\nhome\n/workspace:\na.txt\nd\nparent-only\n\n/workspace/d:\n');
      for (const child of forks) expect((await manager.hostIdentity(child)).uid).not.toBe((await manager.hostIdentity(parent)).uid);
    });

    it('mounts a fork again after a restart when a write just before a running checkpoint is folded again', async () => {
      const first = await opened();
      const parent = sandboxId();
      await sh(await first.manager.acquire(parent), 'echo base > /workspace/f');
      const { snapshot } = await first.manager.checkpoint(parent);
      const child = sandboxId();
      await first.manager.fork(snapshot, child);
      const sandbox = await first.manager.acquire(child);
      // Written and checkpointed at once: the stop folds the same change into an identical layer.
      await sh(sandbox, 'echo child > /workspace/f');
      await first.manager.checkpoint(child);
      await first.manager.closeAll();
      const second = await opened(first.root, first.uidRange);
      expect(await sh(await second.manager.acquire(child), 'cat /workspace/f')).toBe('child\n');
    });

    it('checkpoints a stopped sandbox without losing its files, and the fork starts from them', async () => {
      const { manager } = await opened();
      const id = sandboxId();
      const sandbox = await manager.acquire(id);
      await sh(sandbox, 'echo one > /workspace/x && ln -s x /workspace/link && mkdir -p /workspace/tree/deep && echo d > /workspace/tree/deep/f');
      await sandbox.suspend();
      expect(await manager.isRunning(id)).toBe(false);
      const first = await manager.checkpoint(id);
      await sh(sandbox, 'echo two >> /workspace/x && rm -r /workspace/tree && mkdir /workspace/tree && echo fresh > /workspace/tree/g');
      await sandbox.suspend();
      const second = await manager.checkpoint(id);
      expect(second.snapshot.layers.slice(0, first.snapshot.layers.length)).toEqual(first.snapshot.layers);
      const [a, b] = [sandboxId(), sandboxId()];
      await manager.fork(first.snapshot, a);
      await manager.fork(second.snapshot, b);
      expect(await sh(await manager.acquire(a), 'cat /workspace/link; find /workspace/tree | sort')).toBe('one\n/workspace/tree\n/workspace/tree/deep\n/workspace/tree/deep/f\n');
      expect(await sh(await manager.acquire(b), 'cat /workspace/link; find /workspace/tree | sort')).toBe('one\ntwo\n/workspace/tree\n/workspace/tree/g\n');
      expect(await sh(sandbox, 'cat /workspace/x; ls /workspace/tree')).toBe('one\ntwo\ng\n');
    });

    it('takes checkpoints of a running sandbox between writes: never a torn file', async () => {
      const { manager, store } = await opened();
      const id = sandboxId();
      const sandbox = await manager.acquire(id);
      await sh(sandbox, 'for n in 0 1 2 3 4 5 6 7 8 9; do head -c 262144 /dev/zero | tr "\\0" "$n" > /tmp/src$n; done');
      await sh(
        sandbox,
        '(i=0; while :; do n=$((i % 10)); dd if=/tmp/src$n of=/workspace/inplace bs=262144 count=1 conv=notrunc status=none; ' +
          'for k in $(seq 300); do echo "v$i"; done > /workspace/.atomic.tmp && mv /workspace/.atomic.tmp /workspace/atomic; i=$((i + 1)); done) >/dev/null 2>&1 & echo $! > /tmp/writer.pid',
      );
      await sh(sandbox, 'while [ ! -e /workspace/atomic ]; do sleep 0.01; done');
      const snapshots = [];
      for (let i = 0; i < 8; i++) {
        snapshots.push((await manager.checkpoint(id)).snapshot);
        await sleep(30);
      }
      await sh(sandbox, 'kill $(cat /tmp/writer.pid)');
      const versions = new Set<string>();
      for (const snapshot of snapshots) {
        const fork = sandboxId();
        await store.fork(snapshot, fork);
        const view = await store.mount(fork);
        try {
          const inplace = readFileSync(join(view.workspace, 'inplace'), 'latin1');
          expect(inplace.length).toBe(262144);
          expect(new Set(inplace).size, 'bytes of two versions in one file').toBe(1);
          const lines = readFileSync(join(view.workspace, 'atomic'), 'utf8').trimEnd().split('\n');
          expect(lines.length).toBe(300);
          expect(new Set(lines).size).toBe(1);
          versions.add(lines[0]!);
        } finally {
          await store.unmount(fork);
        }
      }
      // The writer kept going between checkpoints: they are not all the same moment.
      expect(versions.size).toBeGreaterThan(1);
    });

    it('keeps checkpoints and forks across a restart (a new store and manager over the same root)', async () => {
      const { root, uidRange, manager } = await opened();
      const id = sandboxId();
      const sandbox = await manager.acquire(id);
      await sh(sandbox, 'echo kept > /workspace/k && echo cfg > ~/.cfg');
      const { snapshot } = await manager.checkpoint(id);
      const fork = sandboxId();
      await manager.fork(snapshot, fork);
      await sh(await manager.acquire(fork), 'echo fork-wrote > /workspace/f');
      await sh(sandbox, 'echo later > /workspace/later');
      await manager.closeAll();

      const again = await opened(root, uidRange);
      expect(await sh(await again.manager.acquire(id), 'cat /workspace/k /workspace/later ~/.cfg')).toBe('kept\nlater\ncfg\n');
      expect(await sh(await again.manager.acquire(fork), 'cat /workspace/k /workspace/f; ls /workspace')).toBe('kept\nfork-wrote\nf\nk\n');
      const late = sandboxId();
      await again.manager.fork(snapshot, late);
      expect(await sh(await again.manager.acquire(late), 'ls /workspace; cat ~/.cfg')).toBe('k\ncfg\n');
    });

    it('restores a sandbox to a checkpoint, stopping it first and dropping what it wrote since', async () => {
      const { manager } = await opened();
      const id = sandboxId();
      const sandbox = await manager.acquire(id);
      await sh(sandbox, 'echo v1 > /workspace/a && mkdir /workspace/keep');
      const { snapshot } = await manager.checkpoint(id);
      await sh(sandbox, 'echo v2 > /workspace/a && rmdir /workspace/keep && echo x > /workspace/new && sleep 300 >/dev/null 2>&1 & echo started');
      await manager.restore(id, snapshot);
      expect(await manager.isRunning(id)).toBe(false);
      expect(await sh(sandbox, 'cat /workspace/a; ls /workspace; pgrep -c sleep || true')).toBe('v1\na\nkeep\n0\n');
      await expect(manager.restore(id, { layers: ['sha256:' + 'f'.repeat(64)] })).rejects.toMatchObject({ code: 'not_found' });
      expect(await sh(sandbox, 'cat /workspace/a')).toBe('v1\n');
    });

    it('never collects a layer that storage still stands on, forks of forks included', async () => {
      const { root, uidRange, manager } = await opened();
      const parent = sandboxId();
      await sh(await manager.acquire(parent), 'echo p > /workspace/p');
      const s1 = (await manager.checkpoint(parent)).snapshot;
      const a = sandboxId();
      await manager.fork(s1, a);
      await sh(await manager.acquire(a), 'echo a > /workspace/a && rm /workspace/p');
      const s2 = (await manager.checkpoint(a)).snapshot;
      const b = sandboxId();
      await manager.fork(s2, b);
      await manager.destroy(parent);
      await manager.destroy(a);
      await manager.closeAll();

      // A new store knows only what is on disk: the records of b.
      const again = await opened(root, uidRange);
      const store = again.manager.snapshots!;
      const stands = await store.layersOf(b);
      for (const layer of s2.layers) expect(stands).toContain(layer);
      await store.collect(new Set());
      for (const layer of stands) expect(await store.layerInfo(layer)).toBeDefined();
      expect(await sh(await again.manager.acquire(b), 'ls /workspace; cat /workspace/a')).toBe('a\na\n');
      await again.manager.destroy(b);
      const kept = await store.collect(new Set(s2.layers));
      for (const layer of s2.layers) expect(await store.layerInfo(layer)).toBeDefined();
      const freed = await store.collect(new Set());
      expect(kept.removedLayers + freed.removedLayers).toBeGreaterThanOrEqual(s2.layers.length);
      for (const layer of s2.layers) expect(await store.layerInfo(layer)).toBeUndefined();
    });

    it('shows a stopped sandbox\'s files to browse, hands that view to the sandbox that starts, and leaves no mount behind', async () => {
      const { manager, store, root } = await opened();
      const id = sandboxId();
      const sandbox = await manager.acquire(id);
      await sh(sandbox, 'echo layered > /workspace/a && echo home > ~/h');
      await manager.checkpoint(id);
      await sh(sandbox, 'echo upper > /workspace/b');
      await sandbox.suspend();
      expect(mountsUnder(root)).toEqual([]);

      // Stopped: the view is mounted for browsing, the layers and the writable layer together.
      const view = await store.browse(id);
      expect([readFileSync(join(view.workspace, 'a'), 'utf8'), readFileSync(join(view.workspace, 'b'), 'utf8'), readFileSync(join(view.home, 'h'), 'utf8')]).toEqual(['layered\n', 'upper\n', 'home\n']);
      const browsingMounts = mountsUnder(root);
      // Overlay storage mounts a view; copies are plain directories.
      expect(browsingMounts.length > 0).toBe(method === 'overlay');
      // The sandbox starts on that very view (no remount under a reader), and writes through it.
      await sh(sandbox, 'echo started > /workspace/c');
      expect(mountsUnder(root)).toEqual(browsingMounts);
      expect(readFileSync(join(view.workspace, 'c'), 'utf8')).toBe('started\n');
      // Running: browsing shows the sandbox's own view, and stopping takes it down as usual.
      expect(await store.browse(id)).toEqual(view);
      await sandbox.suspend();
      expect(mountsUnder(root)).toEqual([]);

      // Browsed again, then the process shuts down: nothing stays mounted.
      expect(readFileSync(join((await store.browse(id)).workspace, 'c'), 'utf8')).toBe('started\n');
      await store.closeViews();
      expect(mountsUnder(root)).toEqual([]);
      // A checkpoint of a sandbox being browsed takes the browsing view down first.
      await store.browse(id);
      await manager.checkpoint(id);
      expect(mountsUnder(root)).toEqual([]);
      expect(await sh(sandbox, 'cat /workspace/a /workspace/b /workspace/c')).toBe('layered\nupper\nstarted\n');
    });
  });
}

/** Mount points at or below `root` in this process's mount namespace. */
function mountsUnder(root: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point === root || point.startsWith(`${root}/`))
    .sort();
}
