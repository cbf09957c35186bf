import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { OverlayWorkspaceStore } from '@longhand/sandbox';
import { removeRoots, tempRoot, testUidRange } from '../support/providers.js';
import { buildTar, rawHeader, type RawEntry } from '../support/tar-builder.js';

afterAll(removeRoots);

async function bytesOf(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

const FAKE_ID = `sha256:${'a'.repeat(64)}`;
const top: RawEntry[] = [{ name: 'workspace/', type: '5' }];

/** Archives that break one rule each, with the rule's name. */
const HOSTILE: [string, Buffer][] = [
  ['an absolute path', buildTar([...top, { name: '/etc/evil', type: '0', data: 'x' }])],
  ['a ".." component', buildTar([...top, { name: 'workspace/../../evil', type: '0', data: 'x' }])],
  ['a symlink to an absolute path', buildTar([...top, { name: 'workspace/link', type: '2', link: '/etc/shadow' }])],
  ['a symlink climbing out', buildTar([...top, { name: 'workspace/link', type: '2', link: '../../../etc' }])],
  ['a hard link leading out', buildTar([...top, { name: 'workspace/hard', type: '1', link: '../../etc/passwd' }])],
  ['a hard link to nothing in the layer', buildTar([...top, { name: 'workspace/hard', type: '1', link: 'workspace/missing' }])],
  ['a block device', buildTar([...top, { name: 'workspace/sda', type: '4', dev: [8, 0] }])],
  ['a character device that is not a whiteout', buildTar([...top, { name: 'workspace/mem', type: '3', dev: [1, 1] }])],
  ['a FIFO', buildTar([...top, { name: 'workspace/fifo', type: '6' }])],
  ['an entry before its directory', buildTar([{ name: 'workspace/a/b', type: '0', data: 'x' }])],
  ['a path twice', buildTar([...top, { name: 'workspace/a', type: '0', data: 'x' }, { name: 'workspace/a', type: '0', data: 'y' }])],
  ['a write through an earlier symlink', buildTar([...top, { name: 'workspace/s', type: '2', link: '.' }, { name: 'workspace/s/x', type: '0', data: 'x' }])],
  ['too much data', buildTar([...top, { name: 'workspace/big', type: '0', data: 'x'.repeat(5000) }])],
  [
    'a bad checksum',
    (() => {
      const tar = buildTar([...top, { name: 'workspace/a', type: '0', data: 'x' }]);
      tar[512 + 10] = tar[512 + 10]! ^ 0x01;
      return tar;
    })(),
  ],
  ['a truncated archive', Buffer.concat([rawHeader({ name: 'workspace/', type: '5' }, 0), rawHeader({ name: 'workspace/a', type: '0' }, 4096), Buffer.alloc(100)])],
];

describe.each(['overlay', 'copy'] as const)('layer archives (%s)', (method) => {
  const open = (options: { maxLayerBytes?: number } = {}) => OverlayWorkspaceStore.open({ root: tempRoot(), uids: testUidRange(), method, ...options });

  /** A store with one sandbox's files checkpointed: a file, a directory, a symlink, a hard link. */
  async function sourceLayer(): Promise<{ store: OverlayWorkspaceStore; layer: string }> {
    const store = await open();
    const view = await store.mount('sesn_src');
    mkdirSync(join(view.workspace, 'dir'));
    writeFileSync(join(view.workspace, 'dir', 'file.txt'), 'content');
    writeFileSync(join(view.home, 'long-'.repeat(30)), 'a name longer than 100 bytes');
    await store.unmount('sesn_src');
    const { snapshot } = await store.checkpoint('sesn_src');
    return { store, layer: snapshot.layers.at(-1)! };
  }

  it('exports a canonical tar that imports elsewhere as the same layer, and again as the same bytes', async () => {
    const { store, layer } = await sourceLayer();
    const tar = await bytesOf(await store.exportLayer(layer));
    expect(await bytesOf(await store.exportLayer(layer))).toEqual(tar);
    const other = await open();
    const info = await other.importLayer(layer, Readable.from([tar]));
    expect(info.id).toBe(layer);
    expect(info).toEqual(await store.layerInfo(layer));
    expect(await bytesOf(await other.exportLayer(layer))).toEqual(tar);
    await other.fork({ layers: [layer] }, 'sesn_copy');
    const view = await other.mount('sesn_copy');
    try {
      expect(readFileSync(join(view.workspace, 'dir', 'file.txt'), 'utf8')).toBe('content');
      expect(readFileSync(join(view.home, 'long-'.repeat(30)), 'utf8')).toBe('a name longer than 100 bytes');
    } finally {
      await other.unmount('sesn_copy');
    }
  });

  it('refuses an archive whose content is not the claimed id, keeping nothing', async () => {
    const { store, layer } = await sourceLayer();
    const tar = await bytesOf(await store.exportLayer(layer));
    const other = await open();
    await expect(other.importLayer(FAKE_ID, Readable.from([tar]))).rejects.toMatchObject({ code: 'invalid_archive' });
    await expect(other.importLayer(layer, Readable.from([Buffer.concat([tar.subarray(0, 1536), Buffer.alloc(1024)])]))).rejects.toMatchObject({ code: 'invalid_archive' });
    expect(readdirSync(join(other.root, 'layers'))).toEqual([]);
    expect(await other.layerInfo(layer)).toBeUndefined();
    expect(await other.layerInfo(FAKE_ID)).toBeUndefined();
  });

  it.each(HOSTILE)('refuses an archive with %s, whole', async (_rule, tar) => {
    const store = await open({ maxLayerBytes: 4096 });
    await expect(store.importLayer(FAKE_ID, Readable.from([tar]))).rejects.toMatchObject({ code: 'invalid_archive' });
    expect(readdirSync(join(store.root, 'layers'))).toEqual([]);
    expect(readdirSync(join(store.root, 'layer-info'))).toEqual([]);
    expect(existsSync('/etc/evil')).toBe(false);
  });

  it('imports overlay whiteouts and opaque directories, which hide what lower layers hold', async () => {
    const store = await open();
    const base = await store.mount('sesn_base');
    mkdirSync(join(base.workspace, 'gone'));
    writeFileSync(join(base.workspace, 'gone', 'x'), 'x');
    mkdirSync(join(base.workspace, 'opaque'));
    writeFileSync(join(base.workspace, 'opaque', 'old'), 'old');
    writeFileSync(join(base.workspace, 'deleted'), 'd');
    await store.unmount('sesn_base');
    const lower = (await store.checkpoint('sesn_base')).snapshot.layers;
    // A layer deleting `gone` and `deleted` and replacing `opaque`, as the overlay records it.
    const pax = (record: string) => Buffer.from(`${record.length + 4} ${record}\n`); // two digits of length
    const opaque = pax('SCHILY.xattr.trusted.overlay.opaque=y');
    const tar = Buffer.concat([
      buildTar([{ name: 'workspace/', type: '5' }, { name: 'workspace/deleted', type: '3', mode: 0 }, { name: 'workspace/gone', type: '3', mode: 0 }]).subarray(0, 512 * 3),
      rawHeader({ name: 'pax', type: 'x' as RawEntry['type'] }, opaque.length),
      opaque,
      Buffer.alloc(512 - opaque.length),
      buildTar([{ name: 'workspace/opaque/', type: '5' }, { name: 'workspace/opaque/new', type: '0', data: 'new' }]),
    ]);
    const other = await open();
    const staged = await other.importLayer(FAKE_ID, Readable.from([tar])).catch((err: { message: string }) => err.message);
    // The claimed id was made up: the error names the real one, which is then accepted.
    const real = /has id (sha256:[0-9a-f]{64})/.exec(String(staged))?.[1];
    expect(real).toBeDefined();
    const top = (await other.importLayer(real!, Readable.from([tar]))).id;
    for (const id of lower) await other.importLayer(id, await store.exportLayer(id));
    await other.fork({ layers: [...lower, top] }, 'sesn_view');
    const view = await other.mount('sesn_view');
    try {
      expect(readdirSync(view.workspace).sort()).toEqual(['opaque']);
      expect(readdirSync(join(view.workspace, 'opaque'))).toEqual(['new']);
    } finally {
      await other.unmount('sesn_view');
    }
  });
});
