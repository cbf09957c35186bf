/**
 * Reaching for the kernel's privileged surface from inside a sandbox: ptrace, mount, nested user
 * and mount namespaces, setns, keyrings, bpf, io_uring, perf, raw and packet sockets, chroot.
 * Each is tried twice, with the usual tool (strace, unshare, nsenter, mount, chroot) and with the
 * raw system call from python, and each must fail with a permission error. From the host, the
 * sandbox's processes must run as its own unprivileged uid with no capabilities.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hostProcesses } from './support/host-view.js';
import type { PuppetSession } from './support/puppet.js';
import { runSteps, succeeded } from './support/shell-steps.js';
import { startSecurityRig, type SecurityRig } from './support/security-rig.js';

let rig: SecurityRig;
let agent: PuppetSession;

beforeAll(async () => {
  rig = await startSecurityRig();
  agent = await rig.session();
});

afterAll(async () => {
  await rig?.close();
});

afterEach(async () => {
  await rig.expectHealthy();
});

/** System call numbers on the two architectures the seccomp filter knows. */
const NUMBERS = {
  x64: { ptrace: 101, mount: 165, umount2: 166, unshare: 272, setns: 308, chroot: 161, pivot_root: 155, keyctl: 250, add_key: 248, bpf: 321, io_uring_setup: 425, perf_event_open: 298, userfaultfd: 323, fsopen: 430, open_tree: 428, init_module: 175, kexec_load: 246, setuid: 105, clone3: 435 },
  arm64: { ptrace: 117, mount: 40, umount2: 39, unshare: 97, setns: 268, chroot: 51, pivot_root: 41, keyctl: 219, add_key: 217, bpf: 280, io_uring_setup: 425, perf_event_open: 241, userfaultfd: 282, fsopen: 430, open_tree: 428, init_module: 105, kexec_load: 104, setuid: 146, clone3: 435 },
} as const;
const nr = NUMBERS[process.arch as keyof typeof NUMBERS] ?? NUMBERS.x64;

/** Each attempt as python (the helper below prints `name=errno-name`). */
const SYSCALLS: Record<string, string> = {
  ptrace_attach_pid1: `sys(${nr.ptrace}, 16, 1, 0, 0)`,
  ptrace_traceme: `sys(${nr.ptrace}, 0, 0, 0, 0)`,
  mount_tmpfs: `sys(${nr.mount}, b'none', b'/tmp', b'tmpfs', 0, 0)`,
  umount_proc: `sys(${nr.umount2}, b'/proc', 2)`,
  unshare_user: `sys(${nr.unshare}, 0x10000000)`,
  unshare_mount: `sys(${nr.unshare}, 0x00020000)`,
  unshare_net: `sys(${nr.unshare}, 0x40000000)`,
  setns_pid1_mnt: `sys(${nr.setns}, os.open('/proc/1/ns/mnt', os.O_RDONLY), 0)`,
  setns_pid1_user: `sys(${nr.setns}, os.open('/proc/1/ns/user', os.O_RDONLY), 0)`,
  chroot: `sys(${nr.chroot}, b'/tmp')`,
  pivot_root: `sys(${nr.pivot_root}, b'/tmp', b'/tmp')`,
  keyctl_join: `sys(${nr.keyctl}, 1, 0, 0, 0)`,
  add_key: `sys(${nr.add_key}, b'user', b'k', b'v', 1, -2)`,
  bpf_map_create: `sys(${nr.bpf}, 0, 0, 0)`,
  io_uring_setup: `sys(${nr.io_uring_setup}, 8, 0)`,
  perf_event_open: `sys(${nr.perf_event_open}, 0, 0, -1, -1, 0)`,
  userfaultfd: `sys(${nr.userfaultfd}, 0)`,
  fsopen: `sys(${nr.fsopen}, b'tmpfs', 0)`,
  open_tree: `sys(${nr.open_tree}, -100, b'/', 1)`,
  init_module: `sys(${nr.init_module}, 0, 0, b'')`,
  kexec_load: `sys(${nr.kexec_load}, 0, 0, 0, 0)`,
  setuid_root: `sys(${nr.setuid}, 0)`,
  clone3: `sys(${nr.clone3}, 0, 0)`,
};

const PYTHON = [
  'import ctypes, errno, os',
  'libc = ctypes.CDLL(None, use_errno=True)',
  'def sys(*args):',
  '    r = libc.syscall(*[ctypes.c_long(a) if isinstance(a, int) else ctypes.c_char_p(a) for a in args])',
  "    return 'ok' if r >= 0 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))",
  ...Object.entries(SYSCALLS).map(([name, call]) => `try:\n    print('${name}=' + ${call})\nexcept OSError as e:\n    print('${name}=' + errno.errorcode.get(e.errno, str(e.errno)))`),
].join('\n');

describe('privileged system calls', () => {
  it('are refused when made directly (EPERM, or ENOSYS for clone3)', async () => {
    expect(Object.keys(NUMBERS), 'system call numbers of this architecture').toContain(process.arch);
    const outcome = await agent.bash(`python3 - <<'PY'\n${PYTHON}\nPY`);
    expect(outcome.isError, outcome.text).toBe(false);
    const results = Object.fromEntries(outcome.text.split('\n').map((line) => line.split('=') as [string, string]));
    // setuid(0) may also fail with EINVAL: root is not even mapped in the sandbox's namespace.
    const refusal = (name: string) => (name === 'clone3' ? 'ENOSYS' : name === 'setuid_root' ? expect.stringMatching(/^(EPERM|EINVAL)$/) : 'EPERM');
    expect(results).toEqual(Object.fromEntries(Object.keys(SYSCALLS).map((name) => [name, refusal(name)])));
  });

  it('are refused through the usual tools', async () => {
    const steps = await runSteps(agent, [
      'strace -f -e trace=none true',
      'unshare -U true',
      'unshare -Ur true',
      'unshare -m true',
      'unshare -n true',
      'unshare -p -f true',
      'nsenter -t 1 -m -u -n true',
      'mount -t tmpfs none /tmp',
      'mount --bind /workspace /tmp',
      'umount /proc',
      'chroot /tmp /bin/true',
      'mknod /tmp/sda b 8 0',
      'python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)"',
      'python3 -c "import socket; socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)"',
      'python3 -c "import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW)"',
      'python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)"',
      'perl -e \'socket(my $s, 2, 3, 1) or die "raw: $!\\n"\'',
      'command -v ping >/dev/null || exit 1; ping -c 1 -W 1 127.0.0.1',
      'dmesg',
      'cat /proc/kmsg',
      'head -c 16 /proc/kcore',
      'cat /sys/kernel/security/lsm',
      'ip link add dummy0 type dummy',
    ]);
    expect(succeeded(steps)).toEqual([]);
  });

  it('cannot stop or kill its own pid 1 or hang the supervisor through it', async () => {
    const steps = await runSteps(agent, ['kill -STOP 1; kill -KILL 1; kill -SEGV 1; sleep 0.1; grep State /proc/1/status']);
    expect(steps[0]!.output).toMatch(/State:\s+S/);
    expect((await agent.bash('echo still-running')).text).toBe('still-running');
  });
});

describe('identity and capabilities', () => {
  it('has no capabilities, no_new_privs and a seccomp filter, inside', async () => {
    const [status] = await runSteps(agent, ["grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):' /proc/self/status"]);
    expect(status!.output.split('\n')).toEqual([
      'CapInh:\t0000000000000000',
      'CapPrm:\t0000000000000000',
      'CapEff:\t0000000000000000',
      'CapBnd:\t0000000000000000',
      'CapAmb:\t0000000000000000',
      'NoNewPrivs:\t1',
      'Seccomp:\t2',
    ]);
  });

  it('runs as its own non-root host uid, with no capabilities, seen from the host', async () => {
    const uid = await rig.hostUid(agent.id);
    expect(uid).toBeGreaterThanOrEqual(1000);
    const processes = hostProcesses().filter((p) => p.uid === uid);
    expect(processes.length).toBeGreaterThan(0);
    for (const p of processes) {
      const status = readFileSync(`/proc/${p.pid}/status`, 'latin1');
      expect(/^Uid:\s+(.*)$/m.exec(status)?.[1]!.split(/\s+/).map(Number), p.cmdline).toEqual([uid, uid, uid, uid]);
      expect(/^Gid:\s+(\d+)/m.exec(status)?.[1], p.cmdline).not.toBe('0');
      expect(/^CapEff:\s+(\w+)/m.exec(status)?.[1], p.cmdline).toBe('0000000000000000');
      expect(/^CapPrm:\s+(\w+)/m.exec(status)?.[1], p.cmdline).toBe('0000000000000000');
    }
    // Inside, uid 1000 maps to the sandbox's own host uid, never to root.
    const [map] = await runSteps(agent, ['cat /proc/self/uid_map']);
    expect(map!.output.trim().split(/\s+/).map(Number)[0]).toBe(1000);
    const hostPid = processes.find((p) => p.cmdline.startsWith('/bin/bash'))!.pid;
    expect(readFileSync(`/proc/${hostPid}/uid_map`, 'utf8').trim().split(/\s+/).map(Number)).toEqual([1000, uid, 1]);
  });
});
