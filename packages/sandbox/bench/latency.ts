/**
 * Sandbox latency against the phase-1 goals (not a test: it prints, it does not assert).
 *
 *   npx tsx packages/sandbox/bench/latency.ts [rounds]
 *
 * - warm round trip: a builtin (`true`) and an external command (`/bin/true`) in a running
 *   sandbox's persistent shell; goal p50 < 5 ms
 * - resume: from a suspended sandbox (no process left) to the first finished command; goal
 *   p50 < 50 ms
 * - first start of a new sandbox (storage created), for reference
 *
 * Needs root and bubblewrap. The machine's load average is printed with the figures, since other
 * work on a small host moves them a lot.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBubblewrapProvider } from '../src/index.js';

const rounds = Number(process.argv[2] ?? 40);

function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(2);
  return `p50 ${at(0.5)} ms  p90 ${at(0.9)} ms  min ${sorted[0]!.toFixed(2)} ms  (n=${sorted.length})`;
}

async function time(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

const root = mkdtempSync(join(tmpdir(), 'longhand-sandbox-bench-'));
try {
  const provider = await createBubblewrapProvider({ root, uidRange: { first: 3_900_000, count: 1000 } });
  const firstStarts: number[] = [];
  for (let i = 0; i < Math.min(rounds, 10); i++) {
    const sandbox = await provider.open(`bench_first_${i}`);
    firstStarts.push(await time(() => sandbox.shell('true')));
    await sandbox.close();
  }

  const sandbox = await provider.open('bench');
  await sandbox.shell('true');
  const builtin: number[] = [];
  const external: number[] = [];
  for (let i = 0; i < rounds * 10; i++) {
    builtin.push(await time(() => sandbox.shell('true')));
    external.push(await time(() => sandbox.shell('/bin/true')));
  }

  const resume: number[] = [];
  for (let i = 0; i < rounds; i++) {
    await sandbox.suspend();
    resume.push(await time(() => sandbox.shell('true')));
  }
  await sandbox.close();

  console.log(`load average: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`warm round trip, builtin   ${summary(builtin)}   goal p50 < 5 ms`);
  console.log(`warm round trip, external  ${summary(external)}`);
  console.log(`resume to first command    ${summary(resume)}   goal p50 < 50 ms`);
  console.log(`first start of a sandbox   ${summary(firstStarts)}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
