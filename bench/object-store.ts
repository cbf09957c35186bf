/**
 * bench/object-store: moving a workspace layer through the object store, as a worker does when
 * it saves a session's files (export, upload) and as the next worker does when it
 * opens the session (download, verified import), beside copying the same tree with
 * `cp -a` on this disk. Two trees: source-like text (a copy of the TypeScript compiler's `lib`)
 * and random bytes (build outputs, already compressed data). Two stores: a directory and an S3
 * server on loopback (s3rver, in its own process).
 *
 *   npm run bench -- object-store            (BENCH_LAYER_MB resizes the random tree, default 64)
 *
 * Layers are stored as plain tars; the gzip -1 columns show what compression would save in
 * storage and transfer, and what it would cost. Needs root (overlay layers) or falls back to the copy method.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { Writable } from 'node:stream';
import { OverlayWorkspaceStore } from '@longhand/sandbox';
import { DirObjectStore, S3ObjectStore, type ObjectStore } from '@longhand/runtime';
import { LayerShipping } from '../packages/runtime/src/roaming/layer-shipping.js';
import { startS3Server } from '../packages/runtime/test/support/s3-server.js';
import { ms, table } from './stats.js';

const RANDOM_MB = Number(process.env.BENCH_LAYER_MB ?? 64);
const mb = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MB`;

function sh(command: string): number {
  const start = performance.now();
  const run = spawnSync('bash', ['-c', command], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${command}: ${run.stderr}`);
  return performance.now() - start;
}

async function countBytes(stream: NodeJS.ReadableStream, gzip: boolean): Promise<number> {
  let total = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      total += chunk.length;
      done();
    },
  });
  if (gzip) await pipeline(stream, createGzip({ level: 1 }), sink);
  else await pipeline(stream, sink);
  return total;
}

/** A layer holding `tree` (copied into a sandbox's writable files, then checkpointed while stopped). */
async function layerOf(store: OverlayWorkspaceStore, id: string, tree: string): Promise<string> {
  const mount = await store.mount(id);
  sh(`cp -a ${tree}/. ${mount.workspace}/`);
  await store.unmount(id);
  const { snapshot } = await store.checkpoint(id);
  return snapshot.layers.at(-1)!;
}

const work = mkdtempSync(join(tmpdir(), 'longhand-bench-objects-'));
const s3 = await startS3Server('bench');
try {
  const text = join(work, 'text');
  sh(`mkdir -p ${text} && cp -a node_modules/typescript/lib/. ${text}/`);
  const random = join(work, 'random');
  mkdirSync(random);
  for (let i = 0; i < RANDOM_MB; i += 1) writeFileSync(join(random, `blob-${i}.bin`), randomBytes(1024 * 1024));

  const source = await OverlayWorkspaceStore.open({ root: join(work, 'source'), uids: 'self' });
  const stores: Array<[string, ObjectStore]> = [
    ['directory', new DirObjectStore(join(work, 'objects'))],
    ['s3rver', new S3ObjectStore({ bucket: s3.bucket, endpoint: s3.endpoint, pathStyle: true, credentials: s3.credentials })],
  ];
  const rows: string[][] = [];
  for (const [name, tree] of [
    ['text (typescript/lib)', text],
    [`random (${RANDOM_MB} MB)`, random],
  ] as const) {
    const layer = await layerOf(source, `bench-${name.split(' ')[0]}`, tree);
    const tarBytes = await countBytes(await source.exportLayer(layer), false);
    const gzBytes = await countBytes(await source.exportLayer(layer), true);
    const copyMs = sh(`cp -a ${tree} ${join(work, `copy-${name.split(' ')[0]}`)}`);
    for (const [storeName, objects] of stores) {
      const out = new LayerShipping(objects, () => source);
      let start = performance.now();
      await out.upload(layer);
      const uploadMs = performance.now() - start;
      const target = await OverlayWorkspaceStore.open({ root: join(work, `target-${storeName}-${name.split(' ')[0]}`), uids: 'self' });
      const into = new LayerShipping(objects, () => target);
      start = performance.now();
      await into.fetchMissing([layer]);
      const fetchMs = performance.now() - start;
      // The same layer gzipped (-1), to weigh what compression would cost against what it saves.
      start = performance.now();
      await objects.put(`gzipped/${layer.slice(7)}.tar.gz`, (await source.exportLayer(layer)).pipe(createGzip({ level: 1 })));
      const gzipMs = performance.now() - start;
      rows.push([name, storeName, mb(tarBytes), mb(gzBytes), ms(uploadMs), ms(gzipMs), ms(fetchMs), ms(copyMs), `${((uploadMs + fetchMs) / copyMs).toFixed(1)}x`]);
    }
  }
  console.log(table([['tree', 'store', 'tar', 'tar.gz -1', 'upload', 'upload gzipped', 'fetch + verify', 'cp -a', '(upload+fetch)/cp'], ...rows]));
  await source.closeViews();
} finally {
  await s3.close();
  rmSync(work, { recursive: true, force: true });
}
