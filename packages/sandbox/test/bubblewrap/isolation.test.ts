import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BubblewrapProvider, ProvidedSandbox } from '@longhand/sandbox';
import { expectSandboxError } from '../conformance/sandbox-conformance.js';
import { cgroupDirOf, hostPidsOfUid, procFile } from '../support/host-processes.js';
import { bubblewrapProvider, removeRoots, sandboxId, tempRoot, testUidRange } from '../support/providers.js';

const SECRET = `sk-test-${Math.random().toString(36).slice(2)}`;

/** System call numbers from the kernel headers (x86_64), independent of the filter's own table. */
function syscallNumbers(): Record<string, number> {
  const header = ['/usr/include/x86_64-linux-gnu/asm/unistd_64.h', '/usr/include/asm/unistd_64.h'].find((p) => existsSync(p));
  if (process.arch !== 'x64' || !header) throw new Error('these checks read the x86_64 kernel headers');
  const out: Record<string, number> = {};
  for (const match of readFileSync(header, 'utf8').matchAll(/^#define __NR_(\w+) (\d+)$/gm)) out[match[1]!] = Number(match[2]);
  return out;
}

describe('bubblewrap isolation', () => {
  let provider: BubblewrapProvider;
  let sandbox: ProvidedSandbox;
  let uploads: string;

  beforeAll(async () => {
    process.env.LONGHAND_TEST_SECRET = SECRET;
    process.env.TZ_FOR_TEST = 'kept-out';
    provider = await bubblewrapProvider({ inheritEnv: ['LANGUAGE_FOR_TEST'] });
    process.env.LANGUAGE_FOR_TEST = 'inherited';
    uploads = tempRoot();
    chmodSync(uploads, 0o755);
    writeFileSync(join(uploads, 'brief.txt'), 'from the user');
    sandbox = await provider.open(sandboxId(), { env: { FROM_SPEC: 'spec value' }, uploadsDir: uploads });
    await sandbox.start();
  });
  afterAll(async () => {
    await sandbox?.close();
    delete process.env.LONGHAND_TEST_SECRET;
    delete process.env.TZ_FOR_TEST;
    delete process.env.LANGUAGE_FOR_TEST;
    removeRoots();
  });

  it('builds the environment from the allowlist and the spec only', async () => {
    const result = await sandbox.shell('env -0 | tr "\\0" "\\n" | cut -d= -f1 | sort; echo "[$FROM_SPEC] [$LANGUAGE_FOR_TEST]"; cat /proc/$PPID/environ | tr "\\0" "\\n"');
    expect(result.output).not.toContain(SECRET);
    expect(result.output).not.toContain('LONGHAND_TEST_SECRET');
    expect(result.output).not.toContain('kept-out');
    expect(result.output).toContain('[spec value] [inherited]');
    const names = result.output.split('\n[')[0]!.split('\n').filter(Boolean);
    const allowed = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'TERM', 'TMPDIR', 'PAGER', 'GIT_PAGER', 'GIT_TERMINAL_PROMPT', 'DEBIAN_FRONTEND', 'FROM_SPEC', 'LANGUAGE_FOR_TEST', 'PWD', 'OLDPWD', 'SHLVL', '_'];
    for (const name of names) expect(allowed, `unexpected variable ${name}`).toContain(name);
    expect((await sandbox.shell('echo $HOME; cd && pwd')).output).toBe('/home/agent\n/home/agent\n');
  });

  it('refuses a spec that would override what the sandbox sets', async () => {
    await expect(provider.open(sandboxId(), { env: { HOME: '/root' } })).rejects.toThrow(/HOME/);
    await expect(provider.open(sandboxId(), { env: { 'BAD-NAME': 'x' } })).rejects.toThrow(/invalid/);
  });

  it('runs as a distinct non-root host uid, mapped to uid 1000 inside', async () => {
    expect((await sandbox.shell('id -u; id -g; grep CapEff /proc/self/status')).output).toBe('1000\n1000\nCapEff:\t0000000000000000\n');
    const uid = sandbox.hostUid!;
    expect(uid).toBeGreaterThanOrEqual(65536);
    const pids = hostPidsOfUid(uid);
    expect(pids.length).toBeGreaterThan(0);
    // From the host, each sandboxed process's uid_map shows the host uid it really is.
    const maps = pids.map((pid) => procFile(pid, 'uid_map')?.trim().split(/\s+/).map(Number)).filter((m) => m && m[0] === 1000);
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) expect(map).toEqual([1000, uid, 1]);
    // No process of the sandbox is root on the host.
    for (const pid of pids) expect(/^Uid:\s+(\d+)\s+(\d+)/m.exec(procFile(pid, 'status') ?? '')?.slice(1).map(Number)).toEqual([uid, uid]);
    const other = await provider.open(sandboxId());
    expect(other.hostUid).not.toBe(uid);
  });

  it('filters system calls with seccomp: ptrace, mount, unshare and friends fail', async () => {
    const nr = syscallNumbers();
    const script = [
      'import ctypes',
      'libc = ctypes.CDLL(None, use_errno=True)',
      'libc.syscall.restype = ctypes.c_long',
      'def errno_of(n, *args):',
      '    ctypes.set_errno(0)',
      '    r = libc.syscall(n, *[ctypes.c_long(a) for a in args])',
      '    return 0 if r >= 0 else ctypes.get_errno()',
      `print("ptrace", errno_of(${nr.ptrace}, 0, 0, 0, 0))`,
      `print("mount", errno_of(${nr.mount}, 0, 0, 0, 0, 0))`,
      `print("unshare", errno_of(${nr.unshare}, 0x10000000))`,
      `print("setns", errno_of(${nr.setns}, -1, 0))`,
      `print("io_uring_setup", errno_of(${nr.io_uring_setup}, 1, 0))`,
      `print("bpf", errno_of(${nr.bpf}, 0, 0, 0))`,
      `print("keyctl", errno_of(${nr.keyctl}, 0, 0, 0, 0, 0))`,
      `print("userfaultfd", errno_of(${nr.userfaultfd}, 0))`,
      `print("clone3", errno_of(${nr.clone3}, 0, 0))`,
      `print("getpid", errno_of(${nr.getpid}))`,
    ].join('\n');
    await sandbox.writeFile('/workspace/syscalls.py', script);
    const result = await sandbox.shell('python3 /workspace/syscalls.py; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status');
    // EPERM is 1, ENOSYS 38; without the filter ptrace(TRACEME) would succeed and clone3(NULL, 0)
    // fail with EINVAL, so these answers come from the filter.
    expect(result.output).toBe(
      'ptrace 1\nmount 1\nunshare 1\nsetns 1\nio_uring_setup 1\nbpf 1\nkeyctl 1\nuserfaultfd 1\nclone3 38\ngetpid 0\nNoNewPrivs:\t1\nSeccomp:\t2\n',
    );
    expect((await sandbox.shell('unshare -r true 2>&1; echo $?')).output).toMatch(/Operation not permitted\n1\n$/);
  });

  it('has no network: only loopback, and the host\'s services are out of reach', async () => {
    const result = await sandbox.shell(
      "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; echo \"[$HTTP_PROXY]\"; " +
        "(echo > /dev/tcp/127.0.0.1/6379) 2>&1 | grep -o 'Connection refused' | sort -u; " +
        "(echo > /dev/tcp/1.1.1.1/80) 2>&1 | grep -o 'Network is unreachable' | sort -u",
      { timeoutMs: 15_000 },
    );
    expect(result.output).toBe('lo\n[]\nConnection refused\nNetwork is unreachable\n');
  });

  it('shows a read-only system without the host\'s secrets or processes', async () => {
    const result = await sandbox.shell(
      'for p in /usr/x /etc/x /x /proc/sys/kernel/hostname; do (echo > $p) 2>/dev/null && echo "wrote $p"; done; ' +
        'for p in /etc/shadow /etc/gshadow /etc/sudoers /etc/npmrc /root /sys /var/run/docker.sock; do test -e $p && echo "sees $p"; done; ' +
        'ps -e -o comm= | sort -u | tr "\\n" " "',
    );
    expect(result.output).toBe('bash bwrap perl ps sort tr ');
  });

  it('writes to /workspace, home, /tmp and outputs; uploads are read-only', async () => {
    const result = await sandbox.shell('for d in /workspace ~ /tmp /mnt/session/outputs /mnt/session/uploads; do touch $d/probe 2>/dev/null && echo "rw $d" || echo "ro $d"; done; cat /mnt/session/uploads/brief.txt');
    expect(result.output).toBe('rw /workspace\nrw /home/agent\nrw /tmp\nrw /mnt/session/outputs\nro /mnt/session/uploads\nfrom the user');
    await expectSandboxError(sandbox.writeFile('/mnt/session/uploads/new.txt', 'x'), 'read_only');
    expect(Buffer.from(await sandbox.readFile('/mnt/session/uploads/brief.txt')).toString()).toBe('from the user');
    await sandbox.writeFile('/mnt/session/outputs/report.md', '# done');
    expect((await sandbox.shell('cat /mnt/session/outputs/report.md')).output).toBe('# done');
  });

  it('replaces a supervisor that was stopped from inside and stopped answering', async () => {
    const impatient = await bubblewrapProvider({ calls: { graceMs: 500 } });
    const stuck = await impatient.open(sandboxId());
    await stuck.shell('echo kept > /workspace/kept.txt');
    // The shell's parent is the supervisor: SIGSTOP it, and the answer never comes.
    await expectSandboxError(stuck.shell('kill -STOP $PPID; sleep 10', { timeoutMs: 200 }), 'unavailable');
    expect(hostPidsOfUid(stuck.hostUid!)).toEqual([]);
    expect((await stuck.shell('cat /workspace/kept.txt')).output).toBe('kept\n');
    await stuck.close();
  });

  it('dies with the host process that started it', async () => {
    const root = tempRoot();
    chmodSync(root, 0o711);
    const script = join(root, 'orphan.mts');
    const entry = new URL('../../src/index.ts', import.meta.url).pathname;
    const range = testUidRange();
    writeFileSync(
      script,
      `import { createBubblewrapProvider } from ${JSON.stringify(entry)};\n` +
        `const p = await createBubblewrapProvider({ root: ${JSON.stringify(join(root, 'store'))}, uidRange: ${JSON.stringify(range)} });\n` +
        `const s = await p.open(${JSON.stringify(sandboxId('orphan'))}); await s.shell('sleep 600 &'); console.log(s.hostUid);\n` +
        'setInterval(() => {}, 1000);\n',
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const uid = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      child.once('exit', (code) => reject(new Error(`the child exited early (${code})`)));
    });
    expect(hostPidsOfUid(uid).length).toBeGreaterThan(0);
    const supervisor = hostPidsOfUid(uid).find((pid) => procFile(pid, 'comm')?.trim() === 'perl')!;
    const groups = ['memory', 'pids', 'cpu', 'freezer'].map((c) => cgroupDirOf(supervisor, c)!);
    child.kill('SIGKILL');
    for (let i = 0; i < 100 && hostPidsOfUid(uid).length > 0; i++) await sleep(50);
    expect(hostPidsOfUid(uid)).toEqual([]);
    // The dead host process could not remove its sandbox's groups; do it for it.
    for (const group of groups) rmdirSync(group);
  });
});
