/**
 * Escaping via setuid (hazard 1 of the sandbox notes): a sandbox that could create a file owned
 * by root with the setuid bit would hand root to anyone who runs it on the host. The agent
 * compiles a program that asks for root, makes it setuid, tries to give it to root, copies and
 * hard-links the host's own setuid-root binaries into its workspace, and runs them. Inside, none
 * may gain root; from the host, nothing in the sandbox storage may be setuid root, setgid root or
 * executable as root, and everything the sandbox wrote belongs to its own uid.
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { entriesNotOwnedBy, rootPrivilegedEntries } from './support/host-view.js';
import type { PuppetSession } from './support/puppet.js';
import { runSteps, succeeded } from './support/shell-steps.js';
import { startSecurityRig, type SecurityRig } from './support/security-rig.js';

const PROGRAM = `
#include <stdio.h>
#include <unistd.h>
int main(void) {
  int a = setuid(0), b = seteuid(0), c = setresuid(0, 0, 0), d = setgid(0);
  printf("setuid=%d seteuid=%d setresuid=%d setgid=%d uid=%d euid=%d gid=%d\\n", a, b, c, d, getuid(), geteuid(), getgid());
  return 0;
}
`;

let rig: SecurityRig;
let agent: PuppetSession;

beforeAll(async () => {
  rig = await startSecurityRig();
  agent = await rig.session();
  expect((await agent.call('write', { file_path: '/workspace/rootme.c', content: PROGRAM })).isError).toBe(false);
});

afterAll(async () => {
  await rig?.close();
});

afterEach(async () => {
  await rig.expectHealthy();
});

describe('a setuid binary planted in the workspace', () => {
  it('runs as the agent, and cannot become root', async () => {
    const built = await agent.bash('cd /workspace && gcc -w -o rootme rootme.c && chmod 4755 rootme && chmod g+s rootme && ls -ln rootme', 120_000);
    expect(built.isError, built.text).toBe(false);
    expect(built.text).toMatch(/^-rwsr-sr-x 1 1000 1000 /);
    const [run] = await runSteps(agent, ['/workspace/rootme']);
    expect(run!.output).toBe('setuid=-1 seteuid=-1 setresuid=-1 setgid=-1 uid=1000 euid=1000 gid=1000');
  });

  it('cannot be given to root', async () => {
    const steps = await runSteps(agent, ['chown 0:0 /workspace/rootme', 'chown 0 /workspace/rootme', 'chgrp 0 /workspace/rootme', 'chown 65534 /workspace/rootme']);
    expect(succeeded(steps)).toEqual([]);
    const [owner] = await runSteps(agent, ['stat -c "%u:%g %a" /workspace/rootme']);
    expect(owner!.output).toBe('1000:1000 6755');
  });
});

describe("the host's own setuid-root binaries", () => {
  it('cannot be hard-linked into the workspace, and a copy loses root', async () => {
    const steps = await runSteps(agent, ['ln /usr/bin/su /workspace/su-link', 'ln /usr/bin/mount /home/agent/mount-link', 'ln /usr/bin/passwd /mnt/session/outputs/passwd-link']);
    expect(succeeded(steps)).toEqual([]);
    const [copy] = await runSteps(agent, ['cp -p /usr/bin/su /workspace/su-copy 2>/dev/null; chmod 4755 /workspace/su-copy; stat -c "%u %a" /workspace/su-copy']);
    expect(copy!.output).toBe('1000 4755');
  });

  it('give no root when run inside: their owner is not even mapped', async () => {
    const [owners] = await runSteps(agent, ['stat -c "%n %u %a" /usr/bin/su /usr/bin/mount /usr/bin/passwd']);
    // Host root is outside the sandbox's user namespace: the setuid bit has no one to switch to.
    for (const line of owners!.output.split('\n')) expect(line).toMatch(/ 65534 4755$/);
    const steps = await runSteps(agent, [
      // (su is left out: PAM makes every failed attempt wait seconds.)
      '/usr/bin/mount -t tmpfs none /tmp',
      '/usr/bin/passwd -S root',
      '/usr/bin/newgrp root',
    ]);
    expect(succeeded(steps)).toEqual([]);
    for (const step of steps) expect(step.output).not.toMatch(/uid=0\b/);
  });
});

describe('the sandbox storage, seen from the host', () => {
  it('holds nothing setuid root, setgid root or executable as root', async () => {
    const storage = join(rig.dataDir, 'sandbox');
    expect(rootPrivilegedEntries(storage)).toEqual([]);
  });

  it('holds only files of the sandbox uid in what the sandbox can write, private to that uid', async () => {
    const uid = await rig.hostUid(agent.id);
    expect(uid).not.toBe(0);
    const mount = await rig.hostMount(agent.id);
    for (const dir of [mount.workspace, mount.home, mount.outputs]) expect(entriesNotOwnedBy(dir, uid)).toEqual([]);
    // The planted binary is setuid, but to the sandbox's own unprivileged uid.
    const planted = lstatSync(join(mount.workspace, 'rootme'));
    expect({ uid: planted.uid, gid: planted.gid, setuid: (planted.mode & 0o4000) !== 0 }).toEqual({ uid, gid: uid, setuid: true });
    // No other host user can reach it: the writable directories sit in one only that uid enters.
    const parent = lstatSync(join(mount.workspace, '..'));
    expect({ uid: parent.uid, mode: (parent.mode & 0o777).toString(8) }).toEqual({ uid, mode: '700' });
  });
});
