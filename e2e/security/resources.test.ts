/**
 * Attacks on resources: a fork bomb, a memory hog, an output flood, disk fillers, processes that
 * ignore SIGTERM, commands that close their output or read their input, and attacks on the
 * sandbox's own supervisor. Each must be contained by the sandbox (its limits are those of
 * SUITE_LIMITS: 256 MiB, 128 processes, one CPU, 64 MiB of /tmp), leave the server healthy (the
 * afterEach check: another session still works, the server's memory and process count are
 * sane) and leave the attacking session usable.
 */
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { hostProcesses } from './support/host-view.js';
import type { PuppetSession } from './support/puppet.js';
import { runSteps } from './support/shell-steps.js';
import { startSecurityRig, SUITE_LIMITS, type SecurityRig } from './support/security-rig.js';

let rig: SecurityRig;
let agent: PuppetSession;
let uid: number;

beforeAll(async () => {
  rig = await startSecurityRig();
  agent = await rig.session();
  await agent.bash('true');
  uid = await rig.hostUid(agent.id);
});

afterAll(async () => {
  await rig?.close();
});

afterEach(async () => {
  await expectUsable();
  await rig.expectHealthy();
});

/** The attacking session still runs commands that fork. */
async function expectUsable(): Promise<void> {
  expect(await agent.bash('echo usable && ls / > /dev/null && echo forked', 30_000)).toEqual({ text: 'usable\nforked', isError: false });
}

const sandboxProcesses = () => hostProcesses().filter((p) => p.uid === uid);

/** Bytes of disk the files below `dir` really take (holes excluded), links not followed. */
function allocatedBytes(dir: string): number {
  let total = 0;
  const walk = (path: string): void => {
    try {
      const st = lstatSync(path);
      if (st.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
      else if (st.isFile()) total += st.blocks * 512;
    } catch {
      // Removed while we looked (a running sandbox, a staging directory).
    }
  };
  walk(dir);
  return total;
}

describe('a fork bomb', () => {
  it('is held to the pids limit, and a restart of the shell clears it', async () => {
    const hostBefore = hostProcesses().length;
    const bomb = await agent.bash('bomb() { bomb | bomb & }; bomb', 10_000);
    expect(bomb.text).not.toContain('usable');
    // It is running, and it stays within the sandbox's limit (bwrap's two processes are outside).
    await vi.waitFor(() => expect(sandboxProcesses().length).toBeGreaterThan(SUITE_LIMITS.pids / 2), { timeout: 10_000 });
    for (let i = 0; i < 5; i++) {
      expect(sandboxProcesses().length).toBeLessThanOrEqual(SUITE_LIMITS.pids + 2);
      expect(hostProcesses().length).toBeLessThan(hostBefore + SUITE_LIMITS.pids + 50);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The documented way out for the agent: restart the shell. It takes the bomb with it.
    expect(await agent.call('bash', { restart: true, command: 'echo restarted' })).toEqual({ text: 'restarted', isError: false });
    await vi.waitFor(() => expect(sandboxProcesses().length).toBeLessThanOrEqual(6), { timeout: 15_000 });
  });
});

describe('a memory hog', () => {
  it('is killed at the memory limit, not the server', async () => {
    const hog = await agent.bash(`python3 -c "x = b'a' * (1 << 30); print(len(x))"`, 60_000);
    expect(hog.isError).toBe(true);
    expect(hog.text).toMatch(/Killed|MemoryError|exit code 137/);
    expect(hog.text).not.toContain('1073741824');
  });
});

describe('an output flood', () => {
  it('of a gigabyte on stdout reaches the model cut to the output limit', async () => {
    const flood = await agent.bash("head -c 1G /dev/zero | tr '\\0' a; echo; echo end-of-flood", 120_000);
    expect(flood.isError).toBe(false);
    expect(flood.text.length).toBeLessThan(110 * 1024);
    expect(flood.text).toMatch(/^a{1000}/);
    expect(flood.text).toContain('end-of-flood');
    expect(flood.text).toMatch(/truncated|left out|omitted/i);
  });

  it('on stderr, without a single newline, reaches the model cut to the output limit', async () => {
    const stderr = await agent.bash("head -c 256M /dev/zero | tr '\\0' b >&2", 120_000);
    expect(stderr.text.length).toBeLessThan(110 * 1024);
    expect(stderr.text).toMatch(/^b{1000}/);
  });
});

describe('disk fillers', () => {
  it('fill /tmp only up to its size', async () => {
    const [fill] = await runSteps(agent, [`dd if=/dev/zero of=/tmp/fill bs=1M count=${(2 * SUITE_LIMITS.tmpBytes) / 1024 ** 2}`]);
    expect(fill!.exitCode).not.toBe(0);
    expect(fill!.output).toContain('No space left on device');
    await agent.bash('rm -f /tmp/fill');
  });

  // A /dev/shm without a size is bounded only by the memory cgroup (on a host without one, by
  // half the host's memory): filling it gets the sandbox's own processes OOM-killed and leaves the
  // session unusable. What guards it: /dev/shm gets a `--size` like /tmp (bwrap-args.ts).
  it('fill /dev/shm only up to a size, like /tmp', async () => {
    try {
      const [fill] = await runSteps(agent, [`dd if=/dev/zero of=/dev/shm/fill bs=1M count=${(2 * SUITE_LIMITS.memoryBytes) / 1024 ** 2}`], 60_000);
      expect(fill!.output).toContain('No space left on device');
      await expectUsable();
    } finally {
      // Whatever happened, the next tests get a sandbox whose memory is free again.
      await agent.call('bash', { restart: true, command: 'rm -f /dev/shm/fill' });
    }
  });

  // A sparse file costs the sandbox nothing, but a checkpoint copy that writes it out in full
  // would let `truncate -s 1T` fill the host's disk from a single command. What guards it: layers
  // copy sparse files with their holes (layers/sparse-files.ts), and a layer has a byte budget
  // (maxLayerBytes) beyond which the checkpoint fails instead of hashing a terabyte of zeros.
  it('a sparse file does not become gigabytes on the host', async () => {
    const storage = join(rig.dataDir, 'sandbox');
    const before = allocatedBytes(storage);
    const made = await agent.bash('truncate -s 512M /workspace/sparse && du -k /workspace/sparse');
    expect(made).toEqual({ text: '0\t/workspace/sparse', isError: false });
    const read = await agent.call('read', { file_path: '/workspace/sparse' });
    expect(read.isError).toBe(true);
    expect(read.text.length).toBeLessThan(2000);
    await agent.bash('rm -f /workspace/sparse');
    expect(allocatedBytes(storage) - before).toBeLessThan(64 * 1024 ** 2);
  });

  it('fill the workspace as far as the host allows, and the server survives', async () => {
    // No quota on the workspace yet (see the suite's report): a bounded fill shows the server
    // keeps working while a sandbox writes hundreds of megabytes (and checkpoints them), and that the space comes back.
    const mount = await rig.hostMount(agent.id);
    const fill = await agent.bash('fallocate -l 256M /workspace/big && dd if=/dev/zero of=/workspace/big2 bs=1M count=64 conv=fsync 2>&1 | tail -1', 120_000);
    expect(fill.isError, fill.text).toBe(false);
    expect(statSync(join(mount.workspace, 'big')).uid).toBe(uid);
    await rig.expectHealthy();
    await agent.bash('rm -f /workspace/big /workspace/big2');
    expect(() => statSync(join(mount.workspace, 'big'))).toThrow();
  });
});

describe('processes that will not die', () => {
  it('a foreground command ignoring SIGTERM, and its setsid child, are killed at the timeout', async () => {
    const stuck = await agent.bash('trap "" TERM HUP INT; setsid sh -c \'trap "" TERM HUP; exec sleep 777\' & exec sleep 999', 1500);
    expect(stuck.isError).toBe(true);
    expect(stuck.text).toContain('timed out');
    await vi.waitFor(() => expect(hostProcesses().filter((p) => /^sleep (777|999)$/.test(p.cmdline))).toEqual([]), { timeout: 10_000 });
  });

  it('background jobs ignoring every signal outlive the call, and die with a restart', async () => {
    expect((await agent.bash('(trap "" TERM HUP INT; exec sleep 555) & disown; nohup sleep 556 > /dev/null 2>&1 &')).isError).toBe(false);
    expect(sandboxProcesses().filter((p) => /^sleep 55[56]$/.test(p.cmdline)).length).toBe(2);
    expect((await agent.call('bash', { restart: true })).isError).toBe(false);
    await vi.waitFor(() => expect(hostProcesses().filter((p) => /^sleep 55[56]$/.test(p.cmdline))).toEqual([]), { timeout: 10_000 });
  });
});

describe('commands that play with their input and output', () => {
  it('closing stdout and stderr, or the frame descriptor, does not hang the call', async () => {
    const closed = await agent.bash('exec >&- 2>&-; echo gone', 10_000);
    expect(closed.text).not.toContain('timed out');
    const frame = await agent.bash('exec 7>&-; echo still-framed', 10_000);
    expect(frame).toEqual({ text: 'still-framed', isError: false });
  });

  it('reading stdin gets end-of-file at once, and the protocol cannot be reached through /proc', async () => {
    expect(await agent.bash('cat; read -r line; echo "read [$line]"', 10_000)).toEqual({ text: 'read []', isError: false });
    const steps = await runSteps(agent, ['cat /proc/$PPID/fd/0', 'echo \'{"id":1,"ok":true,"result":{}}\' > /proc/$PPID/fd/1', 'cat /dev/tty']);
    for (const step of steps) expect(step.exitCode, step.output).not.toBe(0);
  });
});

describe('attacks on the sandbox itself', () => {
  it('killing every process of the sandbox ends only that sandbox, which starts again', async () => {
    const killed = await agent.bash('kill -9 -1', 10_000);
    expect(killed.isError).toBe(true);
  });

  it('stopping the supervisor ends the sandbox after its deadline, and it starts again', async () => {
    const stopped = await agent.bash('kill -STOP $PPID; echo unreachable', 1000);
    expect(stopped.isError).toBe(true);
    expect(stopped.text).not.toContain('unreachable');
  });

});

