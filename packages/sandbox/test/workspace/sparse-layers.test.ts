import { closeSync, openSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { OverlayWorkspaceStore } from '@longhand/sandbox';
import { removeRoots, tempRoot, testUidRange } from '../support/providers.js';

afterAll(removeRoots);

const MiB = 1024 ** 2;
/** Bytes a file really takes on disk. */
const allocated = (path: string) => statSync(path).blocks * 512;

/** A 64 MiB file with 4 KiB of data at 1 MiB and at its very end, holes elsewhere. */
function makeSparse(path: string): void {
  truncateSync(openAndClose(path), 64 * MiB);
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, Buffer.alloc(4096, 'a'), 0, 4096, MiB);
    writeSync(fd, Buffer.alloc(4096, 'z'), 0, 4096, 64 * MiB - 4096);
  } finally {
    closeSync(fd);
  }
}

function openAndClose(path: string): string {
  closeSync(openSync(path, 'w'));
  return path;
}

function expectSameSparseContent(path: string): void {
  const bytes = readFileSync(path);
  expect(bytes.length).toBe(64 * MiB);
  expect(bytes.subarray(MiB, MiB + 4096).equals(Buffer.alloc(4096, 'a'))).toBe(true);
  expect(bytes.subarray(64 * MiB - 4096).equals(Buffer.alloc(4096, 'z'))).toBe(true);
  expect(bytes.subarray(0, MiB).equals(Buffer.alloc(MiB))).toBe(true);
  expect(allocated(path)).toBeLessThan(4 * MiB);
}

async function bytesOf(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

describe.each(['overlay', 'copy'] as const)('sparse files in layers (%s)', (method) => {
  const open = (options: { maxLayerBytes?: number } = {}) => OverlayWorkspaceStore.open({ root: tempRoot(), uids: testUidRange(), method, ...options });

  it('keeps holes through a running checkpoint, a fork, and an export imported elsewhere', async () => {
    const store = await open();
    const view = await store.mount('sesn_sparse');
    makeSparse(join(view.workspace, 'sparse.bin'));
    // Taken while mounted: the file is copied, not moved, into the layer.
    const { snapshot } = await store.checkpoint('sesn_sparse');
    await store.unmount('sesn_sparse');
    const layer = snapshot.layers.at(-1)!;
    expect((await store.layerInfo(layer))?.bytes).toBeGreaterThanOrEqual(64 * MiB);

    await store.fork(snapshot, 'sesn_fork');
    const forked = await store.mount('sesn_fork');
    try {
      expectSameSparseContent(join(forked.workspace, 'sparse.bin'));
    } finally {
      await store.unmount('sesn_fork');
    }

    const other = await open();
    await other.importLayer(layer, Readable.from([await bytesOf(await store.exportLayer(layer))]));
    await other.fork(snapshot, 'sesn_imported');
    const imported = await other.mount('sesn_imported');
    try {
      expectSameSparseContent(join(imported.workspace, 'sparse.bin'));
    } finally {
      await other.unmount('sesn_imported');
    }
  });

  it('refuses a checkpoint beyond the layer budget, and the files stay as they were', async () => {
    const store = await open({ maxLayerBytes: 16 * MiB });
    const view = await store.mount('sesn_budget');
    truncateSync(openAndClose(join(view.workspace, 'huge')), 1024 ** 4);
    await expect(store.checkpoint('sesn_budget')).rejects.toMatchObject({ code: 'too_large' });
    await store.unmount('sesn_budget');
    await expect(store.checkpoint('sesn_budget')).rejects.toMatchObject({ code: 'too_large' });
    const again = await store.mount('sesn_budget');
    try {
      expect(statSync(join(again.workspace, 'huge')).size).toBe(1024 ** 4);
    } finally {
      await store.unmount('sesn_budget');
    }
  });
});
