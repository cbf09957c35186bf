import { mkdirSync, openSync, readdirSync, statSync, utimesSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diffUpper, layerDirLookup, snapshotUpper, type LayerLookup, type UpperManifest } from '../../src/workspace/layers/upper-snapshot.js';
import { JOURNAL_HEADER_BYTES, LayerJournal } from '../../src/workspace/layers/layer-journal.js';
import { removeRoots, tempRoot } from '../support/providers.js';

afterAll(removeRoots);

const io = { attrs: undefined, move: false, maxBytes: 1024 ** 3 };
const PLAN = join('workspace', 'notes', 'plan.md');

/**
 * A writable directory snapshotted once into `layer-1`, and that snapshot's manifest dated as if
 * it had been taken in the same clock tick as the writes: every entry is racy.
 */
async function snapshottedJustAfterWriting(): Promise<{ root: string; upper: string; first: string; manifest: UpperManifest }> {
  const root = tempRoot();
  const upper = join(root, 'upper');
  mkdirSync(join(upper, 'workspace', 'notes'), { recursive: true });
  writeFileSync(join(upper, PLAN), 'the plan');
  const first = join(root, 'layer-1');
  mkdirSync(first);
  const one = await snapshotUpper(upper, first, undefined, io);
  expect(one.changed).toBe(true);
  const newest = [...one.manifest.entries.values()].reduce((max, entry) => (entry.ctimeNs > max ? entry.ctimeNs : max), 0n);
  return { root, upper, first, manifest: { ...one.manifest, takenAtNs: newest } };
}

function emptyDir(root: string, name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  return dir;
}

/**
 * The first snapshot's layer in either form a store keeps it: its directory, or its journal (the
 * layer's tar, before it is unpacked). `spoil` gives the layer's copy of the plan other bytes of
 * the same length, mode and time.
 */
const FORMS: { name: string; open(root: string, upper: string, first: string): Promise<{ lookup: LayerLookup; spoil(): void }> }[] = [
  {
    name: 'a directory',
    open: async (_root, _upper, first) => ({
      lookup: layerDirLookup(first),
      spoil() {
        const stored = join(first, PLAN);
        const { mtime } = statSync(stored);
        writeFileSync(stored, 'THE PLAN');
        utimesSync(stored, mtime, mtime);
      },
    }),
  },
  {
    name: 'a journal',
    open: async (root, upper) => {
      const journal = new LayerJournal(join(root, 'journal'));
      const changes = await diffUpper(upper, undefined, io);
      const draft = await journal.write(changes.entries);
      await draft.finish();
      const lookup = journal.lookup(draft.id, draft.index)!;
      return {
        lookup,
        spoil() {
          const [file] = readdirSync(journal.dir);
          const fd = openSync(join(journal.dir, file!), 'r+');
          writeSync(fd, 'THE PLAN', JOURNAL_HEADER_BYTES + draft.index.get(PLAN)!.offset);
          closeSync(fd);
        },
      };
    },
  },
];

describe('entries written in the tick before a snapshot (racy)', () => {
  it('are taken again when there is no previous layer to compare them with', async () => {
    const { root, upper, manifest } = await snapshottedJustAfterWriting();
    const second = emptyDir(root, 'layer-2');
    const two = await snapshotUpper(upper, second, manifest, io);
    expect(two.changed).toBe(true);
    expect(statSync(join(second, PLAN)).size).toBe(8);
  });

  describe.each(FORMS)('with the previous layer as $name', (form) => {
    it('are settled as unchanged when the previous layer holds them exactly: no new layer', async () => {
      const { root, upper, first, manifest } = await snapshottedJustAfterWriting();
      const { lookup } = await form.open(root, upper, first);
      const second = emptyDir(root, 'layer-2');
      const two = await snapshotUpper(upper, second, manifest, { ...io, previousLayer: lookup });
      expect(two.changed).toBe(false);
      expect(readdirSync(second)).toEqual([]);
    });

    it('are taken again when the bytes differ, even with the same size, mode and time', async () => {
      const { root, upper, first, manifest } = await snapshottedJustAfterWriting();
      // What a second write in the same tick would leave: the layer holds other bytes than the file.
      const { lookup, spoil } = await form.open(root, upper, first);
      spoil();
      const second = emptyDir(root, 'layer-2');
      const two = await snapshotUpper(upper, second, manifest, { ...io, previousLayer: lookup });
      expect(two.changed).toBe(true);
      expect(readdirSync(join(second, 'workspace', 'notes'))).toEqual(['plan.md']);
    });
  });
});
