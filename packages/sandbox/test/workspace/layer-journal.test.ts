import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createBubblewrapProvider, OverlayWorkspaceStore, SandboxManager, type Sandbox, type UidRange } from '@longhand/sandbox';
import { JOURNAL_HEADER_BYTES, LayerJournal } from '../../src/workspace/layers/layer-journal.js';
import { LayerRepository } from '../../src/workspace/layers/layer-repository.js';
import { walkLayer } from '../../src/workspace/layers/layer-walk.js';
import { buildLayer, diffUpper } from '../../src/workspace/layers/upper-snapshot.js';
import { recordingLogger, removeRoots, sandboxId, tempRoot, testUidRange } from '../support/providers.js';

afterAll(removeRoots);

const LIMIT = 1024 ** 3;

/**
 * Everything a stream gives, once it is closed too: a journal being read is not written over, so
 * whether its file is kept for reuse depends on the reader having let go of it.
 */
async function bytesOf(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const closed = once(stream as Readable, 'close');
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  await closed;
  return Buffer.concat(chunks);
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** A writable directory with every kind of entry a layer holds, at the sizes where tar changes shape. */
function variedTree(dir: string): void {
  mkdirSync(join(dir, 'workspace', 'src', 'deep', 'deeper'), { recursive: true });
  mkdirSync(join(dir, 'home'), { recursive: true });
  for (const size of [0, 1, 511, 512, 513, 1024 * 1024 + 7]) writeFileSync(join(dir, 'workspace', 'src', `f${size}`), randomBytes(size));
  const long = `${'n'.repeat(90)}/${'m'.repeat(60)}`;
  mkdirSync(join(dir, 'workspace', 'n'.repeat(90)));
  writeFileSync(join(dir, 'workspace', long), 'a path longer than a ustar name');
  writeFileSync(join(dir, 'workspace', 'src', 'deep', 'deeper', 'ünïcödé ✓'), 'utf-8 name');
  writeFileSync(join(dir, 'workspace', 'run.sh'), '#!/bin/sh\n');
  chmodSync(join(dir, 'workspace', 'run.sh'), 0o4755);
  writeFileSync(join(dir, 'home', 'secret'), 'private');
  chmodSync(join(dir, 'home', 'secret'), 0o600);
  linkSync(join(dir, 'workspace', 'run.sh'), join(dir, 'workspace', 'run-again.sh'));
  symlinkSync('/usr/bin/python3', join(dir, 'workspace', 'python'));
  symlinkSync('../run.sh', join(dir, 'workspace', 'src', 'up'));
}

describe('layer journals', () => {
  it('hold the canonical tar of the layer a staging copy builds: the same id, published to the same files', async () => {
    const root = tempRoot();
    const upper = join(root, 'upper');
    variedTree(upper);
    const journaled = new LayerRepository({ root: join(root, 'a'), owner: undefined, native: false, maxBytes: LIMIT });
    const copied = new LayerRepository({ root: join(root, 'b'), owner: undefined, native: false, maxBytes: LIMIT });

    const first = await diffUpper(upper, undefined, { attrs: undefined, maxBytes: LIMIT });
    const draft = await journaled.writeJournal(first.entries);
    const info = await journaled.commitJournal(draft, first.addedBytes, first.marks);
    const staging = copied.stagingDir();
    await buildLayer(first, staging, { attrs: undefined, move: false });
    const built = await copied.commit(staging, undefined, first.marks);
    expect(info).toEqual(built);
    expect(journaled.has(info.id)).toBe(true);

    // Exported before and after it is unpacked: the same canonical tar, hashing to the id.
    const before = await bytesOf(await journaled.export(info.id, undefined));
    expect(sha256(before)).toBe(info.id);
    await journaled.ready([info.id]);
    expect(journaled.published(info.id)).toBe(true);
    expect(completeJournals(join(root, 'a'))).toEqual([]);
    expect(readdirSync(join(root, 'a', 'journal'))).toHaveLength(1);
    expect(await bytesOf(await journaled.export(info.id, undefined))).toEqual(before);
    expect(readFileSync(join(journaled.dir(info.id), 'workspace', 'src', 'f1048583'))).toEqual(readFileSync(join(upper, 'workspace', 'src', 'f1048583')));

    // A second snapshot: changes, deletions (whiteouts) and a directory made again.
    writeFileSync(join(upper, 'workspace', 'src', 'f1'), 'x');
    rmSync(join(upper, 'workspace', 'src', 'f512'));
    rmSync(join(upper, 'workspace', 'src', 'deep'), { recursive: true });
    mkdirSync(join(upper, 'workspace', 'src', 'deep'));
    writeFileSync(join(upper, 'workspace', 'src', 'deep', 'new'), 'new');
    const second = await diffUpper(upper, first.manifest, { attrs: undefined, maxBytes: LIMIT });
    expect(second.marks.whiteouts).toEqual(['workspace/src/deep/deeper', 'workspace/src/f512']);
    const draft2 = await journaled.writeJournal(second.entries);
    const info2 = await journaled.commitJournal(draft2, second.addedBytes, second.marks);
    const staging2 = copied.stagingDir();
    await buildLayer(second, staging2, { attrs: undefined, move: false });
    expect(info2).toEqual(await copied.commit(staging2, undefined, second.marks));
    await journaled.settle();
    expect(journaled.published(info2.id)).toBe(true);
    expect(journaled.info(info2.id)?.marks).toEqual(second.marks);
  });

  it('are published whole by the next process to open the store, and a torn one never is', async () => {
    const { root, repo, changes } = await repositoryWithTree();
    // What a process that died left: a synced journal it acknowledged, and one torn by the crash
    // (its header written, part of its data not).
    const draft = await syncedJournal(repo, changes.entries);
    const other = join(root, 'other');
    mkdirSync(join(other, 'workspace'), { recursive: true });
    writeFileSync(join(other, 'workspace', 'torn'), randomBytes(4096));
    const torn = await syncedJournal(repo, (await diffUpper(other, undefined, { attrs: undefined, maxBytes: LIMIT })).entries);
    const tornFile = journalFileHolding(root, torn.id);
    const bytes = readFileSync(tornFile);
    bytes.fill(0, bytes.length - 2048);
    writeFileSync(tornFile, bytes);
    expect(repo.has(draft.id)).toBe(true);
    expect(repo.published(draft.id)).toBe(false);

    const reopened = new LayerRepository({ root, owner: undefined, native: false, maxBytes: LIMIT });
    reopened.recover();
    // Stored from the start, its size bounded by its tar's until it is unpacked.
    expect(reopened.info(draft.id)!.bytes).toBeGreaterThanOrEqual(changes.addedBytes);
    await reopened.settle();
    expect(reopened.published(draft.id)).toBe(true);
    expect(reopened.info(draft.id)!.bytes).toBe(changes.addedBytes);
    expect(readFileSync(join(reopened.dir(draft.id), 'home', 'secret'), 'utf8')).toBe('private');
    expect(reopened.has(torn.id)).toBe(false);
    expect(() => reopened.requireAll([torn.id])).toThrow(/is not stored here/);
    // Both files are kept to be written over; neither names a layer any more.
    expect(completeJournals(root)).toEqual([]);
    expect(readdirSync(join(root, 'journal'))).toHaveLength(2);
  });

  it('spoiled after they were written are never published: whoever needs the layer is told why', async () => {
    const { root, repo, changes } = await repositoryWithTree();
    const draft = await syncedJournal(repo, changes.entries);
    // Spoiled on the disk after it was acknowledged, before it was unpacked.
    const path = journalFileHolding(root, draft.id);
    const bytes = readFileSync(path);
    const at = bytes.indexOf('utf-8 name');
    bytes[at] = bytes[at]! ^ 0x20;
    writeFileSync(path, bytes);

    await expect(repo.ready([draft.id])).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/could not be unpacked from its journal.*not the claimed/) });
    expect(repo.published(draft.id)).toBe(false);
    expect(existsSync(path)).toBe(true);
  });

  it('are written over the files of published ones, and read back as exactly their own tar', async () => {
    const { root, repo, changes: big } = await repositoryWithTree();
    const first = await repo.commitJournal(await repo.writeJournal(big.entries), big.addedBytes, big.marks);
    await repo.ready([first.id]);
    const files = () => readdirSync(join(root, 'journal'));
    expect(files()).toHaveLength(1);
    const [file] = files();
    const spareBytes = statSync(join(root, 'journal', file!)).size;

    const other = join(root, 'other');
    mkdirSync(join(other, 'workspace'), { recursive: true });
    writeFileSync(join(other, 'workspace', 'run.sh'), 'echo smaller\n');
    const small = await diffUpper(other, undefined, { attrs: undefined, maxBytes: LIMIT });
    const second = await repo.commitJournal(await repo.writeJournal(small.entries), small.addedBytes, small.marks);
    // The kept file was written over: it is longer than the new tar, which is read back alone.
    expect(files()).toEqual([file]);
    expect(journalFileHolding(root, second.id)).toBe(join(root, 'journal', file!));
    expect(statSync(join(root, 'journal', file!)).size).toBe(spareBytes);
    const tar = await bytesOf(await repo.export(second.id, undefined));
    expect(tar.length).toBeLessThan(spareBytes);
    expect(sha256(tar)).toBe(second.id);
    await repo.ready([second.id]);
    expect(readFileSync(join(repo.dir(second.id), 'workspace', 'run.sh'), 'utf8')).toBe('echo smaller\n');

    // A collection drops the kept files: they hold old layers' bytes.
    expect(files()).toHaveLength(1);
    await repo.collect(new Set([first.id, second.id]), new Set());
    expect(files()).toEqual([]);
  });
});

/** A storage root with a varied writable tree, its repository (marks kept as lists) and the tree as changes. */
async function repositoryWithTree() {
  const root = tempRoot();
  const upper = join(root, 'upper');
  variedTree(upper);
  const repo = new LayerRepository({ root, owner: undefined, native: false, maxBytes: LIMIT });
  return { root, repo, changes: await diffUpper(upper, undefined, { attrs: undefined, maxBytes: LIMIT }) };
}

/** A synced journal that nothing unpacks: what a process that died after acknowledging it left. */
async function syncedJournal(repo: LayerRepository, entries: Parameters<LayerRepository['writeJournal']>[0]) {
  const draft = await repo.writeJournal(entries);
  await draft.finish();
  return draft;
}

/** The layers complete journals under a storage root hold. */
function completeJournals(root: string): string[] {
  return new LayerJournal(join(root, 'journal')).ids();
}

/** The journal file whose header names layer `id`. */
function journalFileHolding(root: string, id: string): string {
  const dir = join(root, 'journal');
  const found = readdirSync(dir).filter((name) => readFileSync(join(dir, name)).subarray(0, JOURNAL_HEADER_BYTES).includes(id));
  expect(found).toHaveLength(1);
  return join(dir, found[0]!);
}

async function open(root = tempRoot(), uidRange: UidRange = testUidRange()) {
  const store = await OverlayWorkspaceStore.open({ root, uids: uidRange, method: 'overlay' });
  const provider = await createBubblewrapProvider({ root, uidRange, store, logger: recordingLogger() });
  return { root, uidRange, store, manager: new SandboxManager({ provider }) };
}

const sh = async (sandbox: Sandbox, command: string) => {
  const result = await sandbox.shell(command);
  expect(result.exitCode, `${command}: ${result.output}`).toBe(0);
  return result.output;
};

describe('journaled checkpoints of a running overlay sandbox', () => {
  const managers: SandboxManager[] = [];
  afterAll(async () => {
    await Promise.all(managers.map((manager) => manager.closeAll()));
  });

  it('give a fork mounted at once every kind of change: whiteouts, a directory made again, symlinks out', async () => {
    const { manager, store } = await open();
    managers.push(manager);
    const parent = sandboxId();
    const sandbox = await manager.acquire(parent);
    await sh(sandbox, 'mkdir -p /workspace/d/e && echo 1 > /workspace/d/e/f && echo gone > /workspace/g && echo h > /workspace/h');
    await manager.checkpoint(parent);
    await sh(sandbox, 'rm /workspace/g && rm -r /workspace/d && mkdir /workspace/d && echo 2 > /workspace/d/n && ln -s /usr/bin /workspace/bin && ln /workspace/h /workspace/h2');
    const { snapshot } = await manager.checkpoint(parent);
    const child = sandboxId();
    await manager.fork(snapshot, child);
    expect(await sh(await manager.acquire(child), 'find /workspace | sort; readlink /workspace/bin; cat /workspace/h2; stat -c %h /workspace/h')).toBe(
      '/workspace\n/workspace/bin\n/workspace/d\n/workspace/d/n\n/workspace/h\n/workspace/h2\n/usr/bin\nh\n2\n',
    );
    await store.closeViews();
    expect(completeJournals(store.root)).toEqual([]);
    for (const id of snapshot.layers) expect(sha256(await bytesOf(await store.exportLayer(id)))).toBe(id);
  });

  it('of a stopped sandbox become layers by moving its own files, not by unpacking the journal', async () => {
    const { manager, store } = await open();
    managers.push(manager);
    const id = sandboxId();
    const sandbox = await manager.acquire(id);
    await sh(sandbox, 'mkdir -p /workspace/src && head -c 100000 /dev/urandom > /workspace/src/data && echo note > ~/note');
    await sandbox.suspend();
    const written = statSync(join(store.root, 'workspaces', id, 'rw', 'workspace', 'src', 'data'));
    const { snapshot } = await manager.checkpoint(id);
    await store.closeViews();
    const layer = join(store.root, 'layers', snapshot.layers.at(-1)!.slice('sha256:'.length));
    // The same file (its inode), given to the layer owner; nothing is left in the writable layer.
    expect(statSync(join(layer, 'workspace', 'src', 'data')).ino).toBe(written.ino);
    expect(readdirSync(join(store.root, 'workspaces', id, 'rw'))).toEqual([]);
    const child = sandboxId();
    await manager.fork(snapshot, child);
    expect(await sh(await manager.acquire(child), 'cat ~/note; wc -c < /workspace/src/data')).toBe('note\n100000\n');
  });

  it('survive a process that stops before unpacking them: the next one does, and the fork resumes', async () => {
    const first = await open();
    managers.push(first.manager);
    const parent = sandboxId();
    await sh(await first.manager.acquire(parent), 'echo kept > /workspace/k && ln -s /etc/hostname /workspace/abs');
    const { snapshot } = await first.manager.checkpoint(parent);
    await first.manager.closeAll();
    await first.store.closeViews();
    // Back to what the disk held between the checkpoint's acknowledgement and the unpacking: the
    // layer's journal (written again from the layer's own entries), not the layer.
    const top = snapshot.layers.at(-1)!;
    const hex = top.slice('sha256:'.length);
    const draft = await new LayerJournal(join(first.root, 'journal')).write(await walkLayer(join(first.root, 'layers', hex)));
    expect(draft.id).toBe(top);
    await draft.finish();
    rmSync(join(first.root, 'layers', hex), { recursive: true });
    rmSync(join(first.root, 'layer-info', `${hex}.json`));

    const second = await open(first.root, first.uidRange);
    managers.push(second.manager);
    const child = sandboxId();
    await second.manager.fork(snapshot, child);
    expect(await sh(await second.manager.acquire(child), 'cat /workspace/k; readlink /workspace/abs')).toBe('kept\n/etc/hostname\n');
    expect(existsSync(join(first.root, 'layers', hex))).toBe(true);
  });
});
