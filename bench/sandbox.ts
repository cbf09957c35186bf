/**
 * bench/sandbox: what a command costs in a session's sandbox, beside a plain `bash -c` spawn.
 *
 *   npm run bench -- sandbox
 *
 * - warm round trip: `true` in a running sandbox's persistent shell (goal p50 < 5 ms);
 * - resume: from an idle session (no process left) to its first command finished (goal p50 <
 *   50 ms): the layered store's view, bubblewrap, the cgroup and the supervisor's start;
 * - baseline: `bash -c true` spawned from this process, the cheapest way to run one command.
 *
 * Needs root and bubblewrap (as CI has). The load average is printed: other work on a small host
 * moves the figures a lot.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBubblewrapProvider, SandboxManager } from '@longhand/sandbox';
import { ms, percentile, table, timed } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);

function bashTrue(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/bash', ['-c', 'true'], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('close', () => resolve());
  });
}

const root = mkdtempSync(join(tmpdir(), 'longhand-bench-sandbox-'));
try {
  const provider = await createBubblewrapProvider({ root, uidRange: { first: 3_940_000, count: 1000 } });
  const manager = new SandboxManager({ provider });
  const sandbox = await manager.acquire('sesn_bench');
  await sandbox.shell('true');
  const warm: number[] = [];
  const spawned: number[] = [];
  for (let i = 0; i < ROUNDS * 10; i++) {
    warm.push(await timed(() => sandbox.shell('true')));
    spawned.push(await timed(bashTrue));
  }
  const resume: number[] = [];
  const resumeBaseline: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    await sandbox.suspend();
    resume.push(await timed(() => sandbox.shell('true')));
    resumeBaseline.push(await timed(bashTrue));
  }
  // A session that has had a turn has a checkpoint: its files are then an overlay view over
  // layers, mounted (idmapped to the sandbox's uid) at every resume.
  await sandbox.shell('echo notes > /workspace/notes.txt');
  await manager.checkpoint('sesn_bench');
  const layered: number[] = [];
  const layeredBaseline: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    await sandbox.suspend();
    layered.push(await timed(() => sandbox.shell('true')));
    layeredBaseline.push(await timed(bashTrue));
  }
  await manager.closeAll();
  const row = (name: string, samples: number[], baseline: number[]) => [
    name,
    ms(percentile(samples, 50)),
    ms(percentile(samples, 90)),
    ms(percentile(baseline, 50)),
    `${(percentile(samples, 50) / percentile(baseline, 50)).toFixed(1)}x`,
  ];
  console.log(`bench/sandbox: ${ROUNDS * 10} warm round trips, ${ROUNDS} resumes; store: ${provider.snapshots ? 'layered' : 'plain'}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  console.log(
    table([
      ['measure', 'p50', 'p90', 'bash -c p50', 'ratio'],
      row('warm round trip (true)', warm, spawned),
      row('resume idle -> first command', resume, resumeBaseline),
      row('  the same after a checkpoint', layered, layeredBaseline),
    ]),
  );
  const warmP50 = percentile(warm, 50);
  console.log(`\ngoal: warm round trip p50 < 5 ms -> ${warmP50 < 5 ? 'met' : 'NOT met'}`);
  for (const [name, samples] of [['resume', resume], ['resume after a checkpoint', layered]] as const) {
    console.log(`goal: ${name} p50 < 50 ms -> ${percentile(samples, 50) < 50 ? 'met' : 'NOT met'}`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
