/**
 * bench/workspace: checkpoints, forks and resumes of a 1 GB workspace in 20,000 files, beside
 * copying the same tree with `cp -a` and archiving it with `tar | zstd`.
 *
 *   npm run bench -- workspace          (BENCH_WORKSPACE_MB / BENCH_WORKSPACE_FILES to resize)
 *
 * The tree becomes a session's base layer; a fork of it runs in a real bubblewrap sandbox, which
 * rewrites 1 % of the files before each checkpoint. Measured: checkpoint of the running sandbox
 * (frozen while its changes are read into the new layer's journal) and of the stopped one, fork, resume of a fork to its first finished command, and the storage of 10 checkpoints.
 * Goals where overlayfs is available: checkpoint and fork < 50 ms whatever the size, resume
 * < 50 ms, 10 checkpoints < 1.2x the workspace. Needs root and bubblewrap.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBubblewrapProvider, OverlayWorkspaceStore, SandboxManager, type Snapshot } from '@longhand/sandbox';
import { ms, percentile, table, timed } from './stats.js';

const MB = Number(process.env.BENCH_WORKSPACE_MB ?? 1024);
const FILES = Number(process.env.BENCH_WORKSPACE_FILES ?? 20_000);
const ROUNDS = 10;
const PER_DIR = 100;
const CHANGED = Math.max(1, Math.round(FILES / 100));

function sh(command: string, cwd?: string): { ms: number; out: string } {
  const start = performance.now();
  const run = spawnSync('bash', ['-c', command], { cwd, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${command}: ${run.stderr}`);
  return { ms: performance.now() - start, out: run.stdout };
}

const duBytes = (path: string) => Number(sh(`du -sb --apparent-size ${path} | cut -f1`).out.trim());
const duDisk = (path: string) => Number(sh(`du -sk ${path} | cut -f1`).out.trim()) * 1024;
const gb = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GB`;

/** Writes the tree: FILES files of random data (incompressible, like build outputs) in dirs of 100. */
function generate(dir: string): void {
  const pool = randomBytes(8 * 1024 * 1024);
  const size = Math.floor((MB * 1024 * 1024) / FILES);
  for (let i = 0; i < FILES; i++) {
    const sub = join(dir, `d${String(Math.floor(i / PER_DIR)).padStart(4, '0')}`);
    if (i % PER_DIR === 0) mkdirSync(sub, { recursive: true });
    const offset = (i * 7919) % (pool.length - size);
    writeFileSync(join(sub, `f${i}.bin`), pool.subarray(offset, offset + size));
  }
}

/** A shell command rewriting the `round`-th 1 % of the files (different files every round). */
function rewrite(round: number): string {
  const names: string[] = [];
  for (let k = 0; k < CHANGED; k++) {
    const i = (round * CHANGED + k * 97) % FILES;
    names.push(`d${String(Math.floor(i / PER_DIR)).padStart(4, '0')}/f${i}.bin`);
  }
  return `cd /workspace/tree && for f in ${names.join(' ')}; do head -c 4096 /dev/urandom | dd of=$f bs=4096 count=1 conv=notrunc status=none; done`;
}

const work = mkdtempSync(join(tmpdir(), 'longhand-bench-workspace-'));
const root = join(work, 'store');
// Sandbox uids pass through the work directory to reach their files.
chmodSync(work, 0o711);
try {
  const tree = join(work, 'tree');
  generate(tree);
  sh('sync');
  const workspaceBytes = duBytes(tree);
  const cp = sh(`cp -a ${tree} ${join(work, 'copy')}`);
  const cpBytes = duDisk(join(work, 'copy'));
  rmSync(join(work, 'copy'), { recursive: true, force: true });
  const zstd = spawnSync('bash', ['-c', 'command -v zstd'], { encoding: 'utf8' }).status === 0;
  let tarZstd: { ms: number; bytes: number } | undefined;
  if (zstd) {
    const run = sh(`tar -C ${work} -cf - tree | zstd -q -T0 -1 -o ${join(work, 'tree.tar.zst')}`);
    tarZstd = { ms: run.ms, bytes: duBytes(join(work, 'tree.tar.zst')) };
    rmSync(join(work, 'tree.tar.zst'));
  }

  const range = { first: 3_950_000, count: 1000 };
  const store = await OverlayWorkspaceStore.open({ root, uids: range });
  const manager = new SandboxManager({ provider: await createBubblewrapProvider({ root, uidRange: range, store }) });
  // The base layer: the tree as a session's files, checkpointed once (hashes the whole GB).
  const view = await store.mount('sesn_base');
  sh(`cp -a ${tree} ${join(view.workspace, 'tree')} && chown -R ${(await store.ensure('sesn_base')).uid} ${join(view.workspace, 'tree')}`);
  await store.unmount('sesn_base');
  let base!: Snapshot;
  const baseMs = await timed(async () => (base = (await store.checkpoint('sesn_base')).snapshot));

  await manager.fork(base, 'sesn_work');
  const sandbox = await manager.acquire('sesn_work');
  const running: number[] = [];
  let last = base;
  for (let round = 0; round < ROUNDS; round++) {
    await sandbox.shell(rewrite(round));
    running.push(await timed(async () => (last = (await manager.checkpoint('sesn_work')).snapshot)));
  }
  const layerBytes = async (snapshot: Snapshot) => {
    let total = 0;
    for (const id of snapshot.layers) total += (await store.layerInfo(id))?.bytes ?? 0;
    return total;
  };
  const tenCheckpoints = await layerBytes(last);
  const stopped: number[] = [];
  const suspendMs: number[] = [];
  for (let round = ROUNDS; round < ROUNDS + 5; round++) {
    await sandbox.shell(rewrite(round));
    suspendMs.push(await timed(() => sandbox.suspend()));
    stopped.push(await timed(() => manager.checkpoint('sesn_work')));
  }
  const forks: number[] = [];
  const resumes: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    forks.push(await timed(() => manager.fork(last, `sesn_fork${i}`)));
    resumes.push(await timed(async () => (await manager.acquire(`sesn_fork${i}`)).shell('true')));
  }
  const bashTrue = percentile(Array.from({ length: 20 }, () => sh('true').ms), 50);
  await manager.closeAll();
  const layersDisk = duDisk(join(root, 'layers'));

  const p50 = (xs: number[]) => percentile(xs, 50);
  console.log(`bench/workspace: ${gb(workspaceBytes)} in ${FILES} files, ${CHANGED} files (1 %) rewritten between checkpoints; store method: ${store.method}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  console.log(
    table([
      ['measure', 'layered store', 'cp -a', 'tar | zstd -1', 'ratio to cp -a'],
      ['checkpoint, running sandbox p50', ms(p50(running)), ms(cp.ms), tarZstd ? ms(tarZstd.ms) : 'zstd missing', `${(cp.ms / p50(running)).toFixed(0)}x faster`],
      ['checkpoint, running sandbox p90', ms(percentile(running, 90)), '', '', ''],
      ['checkpoint, stopped sandbox p50', ms(p50(stopped)), ms(cp.ms), tarZstd ? ms(tarZstd.ms) : 'zstd missing', `${(cp.ms / p50(stopped)).toFixed(0)}x faster`],
      ['fork p50', ms(p50(forks)), ms(cp.ms), '', `${(cp.ms / p50(forks)).toFixed(0)}x faster`],
      ['resume after fork -> first command p50', ms(p50(resumes)), `bash -c: ${ms(bashTrue)}`, '', ''],
      ['storage, base + 10 checkpoints', gb(tenCheckpoints), gb(cpBytes * (ROUNDS + 1)), tarZstd ? gb(tarZstd.bytes * (ROUNDS + 1)) : 'zstd missing', `${((cpBytes * (ROUNDS + 1)) / tenCheckpoints).toFixed(1)}x smaller`],
      ['  as a multiple of the workspace', `${(tenCheckpoints / workspaceBytes).toFixed(3)}x`, `${((cpBytes * (ROUNDS + 1)) / workspaceBytes).toFixed(1)}x`, tarZstd ? `${((tarZstd.bytes * (ROUNDS + 1)) / workspaceBytes).toFixed(1)}x` : '', ''],
    ]),
  );
  console.log(`\nfor reference: first checkpoint of the whole tree (hash and sync of ${gb(workspaceBytes)}) ${ms(baseMs)}; suspend with the fold of running snapshots p50 ${ms(p50(suspendMs))}; all layers on disk ${gb(layersDisk)}`);
  console.log('(cp -a and tar | zstd run once; their storage for 11 states is 11 copies)');
  const goal = (name: string, ok: boolean) => console.log(`goal: ${name} -> ${ok ? 'met' : 'NOT met'}`);
  goal('checkpoint (running) p50 < 50 ms', p50(running) < 50);
  goal('checkpoint (stopped) p50 < 50 ms', p50(stopped) < 50);
  goal('fork p50 < 50 ms', p50(forks) < 50);
  goal('resume after fork p50 < 50 ms', p50(resumes) < 50);
  goal('10 checkpoints < 1.2x the workspace', tenCheckpoints < 1.2 * workspaceBytes);
} finally {
  for (const line of sh('cat /proc/self/mountinfo').out.split('\n')) {
    const point = line.split(' ')[4];
    if (point?.startsWith(work)) spawnSync('umount', ['-l', point]);
  }
  rmSync(work, { recursive: true, force: true });
}
