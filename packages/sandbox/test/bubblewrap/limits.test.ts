import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProvidedSandbox } from '@longhand/sandbox';
import { cgroupDirOf, hostPidsOfUid } from '../support/host-processes.js';
import { bubblewrapProvider, removeRoots, sandboxId } from '../support/providers.js';

const MiB = 1024 * 1024;
const opened: ProvidedSandbox[] = [];

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  removeRoots();
});

async function start(options: Parameters<typeof bubblewrapProvider>[0]): Promise<ProvidedSandbox> {
  const provider = await bubblewrapProvider(options);
  const sandbox = await provider.open(sandboxId());
  opened.push(sandbox);
  await sandbox.start();
  return sandbox;
}

/** The host pid of the sandbox's supervisor (inside its cgroup, unlike bwrap's own two processes). */
function supervisorPid(sandbox: ProvidedSandbox): number {
  const pid = hostPidsOfUid(sandbox.hostUid!).find((p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'perl');
  if (!pid) throw new Error('no supervisor found');
  return pid;
}

/** Runs a fork bomb for a while and checks that it never outgrows `limit` processes. */
async function forkBombIsContained(sandbox: ProvidedSandbox, limit: number): Promise<void> {
  const uid = sandbox.hostUid!;
  const bomb = sandbox.shell('bomb() { bomb | bomb & }; bomb; sleep 60', { timeoutMs: 3000 });
  let most = 0;
  for (let i = 0; i < 20; i++) {
    await sleep(100);
    most = Math.max(most, hostPidsOfUid(uid).length);
  }
  // The host can still start processes.
  expect(spawnSync('true').status).toBe(0);
  const result = await bomb;
  expect(result.timedOut).toBe(true);
  // bwrap's monitor and the sandbox's pid 1 (bwrap too) may live outside the group; every other
  // process of the uid is counted by the limit.
  expect(most).toBeGreaterThan(10);
  expect(most).toBeLessThanOrEqual(limit + 2);
  await sandbox.suspend();
  expect(hostPidsOfUid(uid)).toEqual([]);
  expect((await sandbox.shell('echo back')).output).toBe('back\n');
}

describe('resource limits', () => {
  it('contains a fork bomb with the pids cgroup, and kills all of it on suspend', async () => {
    await forkBombIsContained(await start({ limits: { pids: 64 } }), 64);
  });

  it('contains a fork bomb with RLIMIT_NPROC when no cgroup is used', async () => {
    await forkBombIsContained(await start({ limits: { pids: 48 }, useCgroups: false }), 48);
  });

  it('kills a memory hog inside the sandbox and keeps the sandbox serving', async () => {
    const sandbox = await start({ limits: { memoryBytes: 256 * MiB } });
    const result = await sandbox.shell('head -c 3000000000 /dev/zero | tail > /dev/null; echo "status ${PIPESTATUS[1]}"', { timeoutMs: 60_000 });
    expect(result.output).toContain('status 137');
    expect((await sandbox.shell('echo still serving')).output).toBe('still serving\n');
    const memory = cgroupDirOf(supervisorPid(sandbox), 'memory')!;
    const peakFile = ['memory.max_usage_in_bytes', 'memory.peak'].map((f) => join(memory, f)).find((f) => existsSync(f))!;
    expect(Number(readFileSync(peakFile, 'utf8'))).toBeLessThanOrEqual(256 * MiB);
  });

  it('applies the CPU and memory limits to the sandbox\'s processes', async () => {
    const sandbox = await start({ limits: { cpus: 0.5, memoryBytes: 300 * MiB, pids: 100 } });
    const pid = supervisorPid(sandbox);
    const cpu = cgroupDirOf(pid, 'cpu')!;
    const quota = existsSync(join(cpu, 'cpu.cfs_quota_us')) ? readFileSync(join(cpu, 'cpu.cfs_quota_us'), 'utf8').trim() : readFileSync(join(cpu, 'cpu.max'), 'utf8').split(' ')[0];
    expect(quota).toBe('50000');
    const memory = cgroupDirOf(pid, 'memory')!;
    const limitFile = existsSync(join(memory, 'memory.limit_in_bytes')) ? 'memory.limit_in_bytes' : 'memory.max';
    expect(Number(readFileSync(join(memory, limitFile), 'utf8'))).toBe(300 * MiB);
    expect(readFileSync(join(cgroupDirOf(pid, 'pids')!, 'pids.max'), 'utf8').trim()).toBe('100');
  });

  it('puts every process of the sandbox but bwrap\'s own in its group', async () => {
    const sandbox = await start({});
    await sandbox.shell('sleep 120 &');
    await sandbox.exec(['true']);
    const supervisor = supervisorPid(sandbox);
    const others = hostPidsOfUid(sandbox.hostUid!).filter((p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim() !== 'bwrap');
    expect(others.map((p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim()).sort()).toEqual(['bash', 'perl', 'sleep']);
    for (const controller of ['memory', 'pids', 'cpu', 'freezer']) {
      const group = cgroupDirOf(supervisor, controller);
      expect(group).toMatch(/\/longhand\//);
      for (const pid of others) expect(cgroupDirOf(pid, controller), `${pid} in ${controller}`).toBe(group);
    }
  });
});
