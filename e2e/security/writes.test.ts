/**
 * Writing outside the workspace: the system directories, the supervisor every sandbox runs, the
 * read-only uploads, global kernel settings under /proc/sys, the server's data directory and
 * another session's files, with bash and with the write and edit tools. Each target is checked
 * from the host afterwards: failing loudly is not enough, it must also be untouched.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintTree } from './support/host-view.js';
import type { PuppetSession } from './support/puppet.js';
import { runSteps, succeeded } from './support/shell-steps.js';
import { startSecurityRig, type SecurityRig } from './support/security-rig.js';

/** Global kernel settings a root-mapped sandbox could change (hazard 1); read on the host. */
const SYSCTLS = ['/proc/sys/kernel/core_pattern', '/proc/sys/vm/overcommit_memory', '/proc/sys/kernel/hostname', '/proc/sys/net/ipv4/ip_forward'];

let rig: SecurityRig;
let attacker: PuppetSession;
let victim: PuppetSession;
let victimHost: { workspace: string; home: string };
const mark = `pwned-${randomBytes(6).toString('hex')}`;
let before: Map<string, string>;
let sysctlsBefore: string[];

/** Host trees whose every entry must be as it was: runtime files every sandbox sees, the victim. */
function guardedTrees(): Map<string, string> {
  return new Map([
    ...fingerprintTree(join(rig.dataDir, 'sandbox', 'runtime')),
    ...fingerprintTree(victimHost.workspace),
    ...fingerprintTree(victimHost.home),
  ]);
}

beforeAll(async () => {
  rig = await startSecurityRig();
  [attacker, victim] = await Promise.all([rig.session(), rig.session()]);
  expect((await victim.bash('echo original > /workspace/notes.txt')).isError).toBe(false);
  await attacker.bash('true');
  victimHost = await rig.hostMount(victim.id);
  before = guardedTrees();
  sysctlsBefore = SYSCTLS.map((path) => readFileSync(path, 'utf8'));
});

afterAll(async () => {
  await rig?.close();
});

afterEach(async () => {
  expect(guardedTrees()).toEqual(before);
  expect(SYSCTLS.map((path) => readFileSync(path, 'utf8'))).toEqual(sysctlsBefore);
  // The mark appears nowhere on the host's system directories or in the data directory.
  for (const dir of ['/', '/etc', '/usr/bin', '/opt', '/run', rig.dataDir]) expect(readdirSync(dir).filter((name) => name.includes(mark)), dir).toEqual([]);
  await rig.expectHealthy();
});

/** Targets outside every writable root of the sandbox (and, on the host, outside the sandbox). */
function targets(): string[] {
  return [
    `/${mark}`,
    `/etc/${mark}`,
    `/usr/bin/${mark}`,
    `/opt/longhand/supervisor/${mark}`,
    `/mnt/session/uploads/${mark}`,
    `/run/longhand/${mark}`,
    `/proc/${mark}`,
    join(rig.dataDir, mark),
    join(victimHost.workspace, mark),
  ];
}

describe('writing outside the workspace with bash', () => {
  it('cannot create files in system directories, the supervisor, the uploads, the data directory or another session', async () => {
    const steps = await runSteps(attacker, targets().map((path) => `echo x > ${path}`));
    expect(succeeded(steps)).toEqual([]);
    const more = await runSteps(attacker, [
      `mkdir /${mark}-dir`,
      `touch /etc/passwd`,
      `echo '# ${mark}' >> /opt/longhand/supervisor/supervisor.pl`,
      `mv /opt/longhand/supervisor/supervisor.pl /workspace/`,
      `ln -s /workspace /opt/longhand/supervisor/${mark}`,
      `rm -f /etc/hosts`,
      `mount -o remount,rw /`,
      `mount -o remount,rw /opt/longhand/supervisor`,
      `chmod 777 /opt/longhand/supervisor`,
      `rm -f /run/longhand/proxy.sock`,
    ]);
    expect(succeeded(more)).toEqual([]);
  });

  it('cannot change global kernel settings or trigger sysrq', async () => {
    const steps = await runSteps(attacker, [
      `echo '|/workspace/${mark} %p' > /proc/sys/kernel/core_pattern`,
      'echo 1 > /proc/sys/vm/overcommit_memory',
      `echo ${mark} > /proc/sys/kernel/hostname`,
      'echo 1 > /proc/sys/net/ipv4/ip_forward',
      // `h` only prints help to the kernel log: harmless, but only root may write it.
      'echo h > /proc/sysrq-trigger',
      'sysctl -w kernel.core_pattern=core',
      'echo 1 > /proc/sys/kernel/sysrq',
    ]);
    expect(succeeded(steps)).toEqual([]);
    for (const step of steps) expect(step.output).toMatch(/Read-only file system|[Pp]ermission denied|not found|No such file/);
  });
});

describe('writing outside the workspace with the file tools', () => {
  it('write refuses every target outside the writable roots', async () => {
    const paths = [...targets(), `/tmp/${mark}`, '/proc/sys/kernel/core_pattern', '/opt/longhand/supervisor/supervisor.pl', '/etc/passwd'];
    const outcomes = await attacker.calls(paths.map((path) => ({ name: 'write', input: { file_path: path, content: `${mark}\n` } })));
    for (const [index, outcome] of outcomes.entries()) expect(outcome.isError, `${paths[index]}: ${outcome.text}`).toBe(true);
    const [tmp] = await runSteps(attacker, [`ls /tmp/${mark}`]);
    expect(tmp!.exitCode).not.toBe(0);
  });

  it('edit refuses files outside the writable roots, even ones the sandbox can read', async () => {
    const edits = [
      { file_path: '/opt/longhand/supervisor/supervisor.pl', old_string: '#!/usr/bin/perl', new_string: `#!/usr/bin/perl # ${mark}` },
      { file_path: '/etc/passwd', old_string: 'agent:x:1000:1000', new_string: 'agent:x:0:0' },
      { file_path: '/proc/sys/kernel/core_pattern', old_string: 'core', new_string: mark },
      { file_path: '/mnt/session/uploads/../../../etc/hosts', old_string: 'localhost', new_string: mark },
      { file_path: join(victimHost.workspace, 'notes.txt'), old_string: 'original', new_string: mark },
    ];
    const outcomes = await attacker.calls(edits.map((input) => ({ name: 'edit', input })));
    for (const [index, outcome] of outcomes.entries()) expect(outcome.isError, `${edits[index]!.file_path}: ${outcome.text}`).toBe(true);
    const [passwd] = await runSteps(attacker, ['grep ^agent: /etc/passwd']);
    expect(passwd!.output).toContain('agent:x:1000:1000');
  });

  it("writes to its own /workspace never land in another session's", async () => {
    const outcome = await attacker.call('write', { file_path: '/workspace/notes.txt', content: mark });
    expect(outcome.isError).toBe(false);
    expect(readFileSync(join(victimHost.workspace, 'notes.txt'), 'utf8')).toBe('original\n');
    const own = await rig.hostMount(attacker.id);
    expect(readFileSync(join(own.workspace, 'notes.txt'), 'utf8')).toBe(mark);
    expect(existsSync(join(victimHost.workspace, mark))).toBe(false);
  });
});
