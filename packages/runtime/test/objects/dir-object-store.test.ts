import { mkdtemp, readdir, rm, utimes, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirObjectStore } from '../../src/objects/dir/dir-object-store.js';
import { objectStoreConformance } from '../conformance/object-store-conformance.js';

objectStoreConformance('DirObjectStore', async () => {
  const root = await mkdtemp(join(tmpdir(), 'longhand-objects-'));
  return { store: new DirObjectStore(root), close: () => rm(root, { recursive: true, force: true }) };
});

describe('DirObjectStore', () => {
  it('leaves no temporary file behind a write, and sweeps those a dead writer left', async () => {
    const root = await mkdtemp(join(tmpdir(), 'longhand-objects-'));
    try {
      const store = new DirObjectStore(root);
      await store.put('a/b', Buffer.from('x'));
      expect(await readdir(join(root, '.tmp'))).toEqual([]);
      await mkdir(join(root, '.tmp'), { recursive: true });
      await writeFile(join(root, '.tmp', 'dead.part'), 'half');
      await writeFile(join(root, '.tmp', 'live.part'), 'being written');
      const old = new Date(Date.now() - 2 * 24 * 60 * 60_000);
      await utimes(join(root, '.tmp', 'dead.part'), old, old);
      expect(await store.sweep()).toBe(1);
      expect(await readdir(join(root, '.tmp'))).toEqual(['live.part']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('gives a reader the object it opened, even when it is deleted meanwhile', async () => {
    const root = await mkdtemp(join(tmpdir(), 'longhand-objects-'));
    try {
      const store = new DirObjectStore(root);
      await store.put('k', Buffer.alloc(300_000, 7));
      const stream = (await store.get('k'))!;
      await store.delete('k');
      let length = 0;
      for await (const chunk of stream) length += (chunk as Buffer).length;
      expect(length).toBe(300_000);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
