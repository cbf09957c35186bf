/**
 * The sandbox's seccomp filter, generated here as classic BPF (what `bwrap --seccomp FD` reads:
 * an array of 8-byte `struct sock_filter`, host byte order).
 *
 * It denies the system calls a sandbox never needs and that widen the kernel's attack surface or
 * let it escape its namespaces: ptrace (it could stop or steer the sandbox's own pid 1), the mount
 * family old and new, namespace changes, keyrings, bpf, io_uring (which bypasses seccomp for the
 * operations it performs), kernel modules, kexec, perf and userfaultfd. `clone3` gets ENOSYS so
 * libc falls back to `clone`, whose flags the kernel checks against the sandbox's (absent)
 * capabilities. Everything else is allowed: bash, python, node and git keep working.
 *
 * The filter first checks the architecture word: a syscall made through another ABI (i386 on
 * x86_64, or the x32 numbering) is refused outright, since its numbers mean other calls.
 */
import { SandboxError } from '../sandbox.js';

const EPERM = 1;
const ENOSYS = 38;

// <linux/filter.h> and <linux/seccomp.h>
const BPF_LD_W_ABS = 0x20;
const BPF_JMP_JEQ_K = 0x15;
const BPF_JMP_JGE_K = 0x35;
const BPF_RET_K = 0x06;
const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;

/** System calls the filter denies, with the errno they fail with. */
export const DENIED_SYSCALLS: Readonly<Record<string, 'EPERM' | 'ENOSYS'>> = {
  ptrace: 'EPERM',
  mount: 'EPERM',
  umount2: 'EPERM',
  pivot_root: 'EPERM',
  unshare: 'EPERM',
  setns: 'EPERM',
  keyctl: 'EPERM',
  add_key: 'EPERM',
  request_key: 'EPERM',
  bpf: 'EPERM',
  io_uring_setup: 'EPERM',
  io_uring_enter: 'EPERM',
  io_uring_register: 'EPERM',
  open_tree: 'EPERM',
  move_mount: 'EPERM',
  fsopen: 'EPERM',
  fsconfig: 'EPERM',
  fsmount: 'EPERM',
  fspick: 'EPERM',
  mount_setattr: 'EPERM',
  kexec_load: 'EPERM',
  kexec_file_load: 'EPERM',
  init_module: 'EPERM',
  finit_module: 'EPERM',
  delete_module: 'EPERM',
  perf_event_open: 'EPERM',
  userfaultfd: 'EPERM',
  clone3: 'ENOSYS',
};

interface Arch {
  /** AUDIT_ARCH_* from <linux/audit.h>. */
  audit: number;
  /** System call numbers, from the kernel's tables for the architecture. */
  numbers: Readonly<Record<string, number>>;
  /** Numbers at or above this belong to another ABI sharing the architecture word (x32). */
  foreignFrom?: number;
}

const ARCHES: Readonly<Record<string, Arch>> = {
  x64: {
    audit: 0xc000003e,
    foreignFrom: 0x40000000,
    numbers: {
      ptrace: 101, mount: 165, umount2: 166, pivot_root: 155, unshare: 272, setns: 308, keyctl: 250,
      add_key: 248, request_key: 249, bpf: 321, io_uring_setup: 425, io_uring_enter: 426,
      io_uring_register: 427, open_tree: 428, move_mount: 429, fsopen: 430, fsconfig: 431,
      fsmount: 432, fspick: 433, mount_setattr: 442, kexec_load: 246, kexec_file_load: 320,
      init_module: 175, finit_module: 313, delete_module: 176, perf_event_open: 298,
      userfaultfd: 323, clone3: 435,
    },
  },
  arm64: {
    audit: 0xc00000b7,
    numbers: {
      ptrace: 117, mount: 40, umount2: 39, pivot_root: 41, unshare: 97, setns: 268, keyctl: 219,
      add_key: 217, request_key: 218, bpf: 280, io_uring_setup: 425, io_uring_enter: 426,
      io_uring_register: 427, open_tree: 428, move_mount: 429, fsopen: 430, fsconfig: 431,
      fsmount: 432, fspick: 433, mount_setattr: 442, kexec_load: 104, kexec_file_load: 294,
      init_module: 105, finit_module: 273, delete_module: 106, perf_event_open: 241,
      userfaultfd: 282, clone3: 435,
    },
  },
};

/** Node's `process.arch` values the filter supports. */
export const SECCOMP_ARCHES: readonly string[] = Object.keys(ARCHES);

function instruction(code: number, k: number, jt = 0, jf = 0): Buffer {
  const out = Buffer.alloc(8);
  out.writeUInt16LE(code, 0);
  out.writeUInt8(jt, 2);
  out.writeUInt8(jf, 3);
  out.writeUInt32LE(k >>> 0, 4);
  return out;
}

/**
 * Builds the filter program for `arch` (a `process.arch` value).
 * @throws SandboxError `unavailable` for an architecture without a table
 * @example spawn('bwrap', ['--seccomp', '3', ...], { stdio: [..., 'pipe'] }).stdio[3].end(seccompProgram())
 */
export function seccompProgram(arch: string = process.arch): Buffer {
  const table = ARCHES[arch];
  if (!table) throw new SandboxError('unavailable', `no seccomp filter for architecture ${arch} (supported: ${SECCOMP_ARCHES.join(', ')})`);
  if (!isLittleEndian()) throw new SandboxError('unavailable', 'the seccomp filter is generated for little-endian hosts');
  const denied = Object.entries(DENIED_SYSCALLS).map(([name, errno]) => ({
    nr: table.numbers[name]!,
    ret: RET_ERRNO | (errno === 'EPERM' ? EPERM : ENOSYS),
  }));
  const program: Buffer[] = [];
  // Jumps count instructions after the next one. The last instruction is the refusal; `checks`
  // is the number of instructions between the syscall number load and the final ALLOW.
  const checks = denied.length * 2 + (table.foreignFrom === undefined ? 0 : 1);
  program.push(instruction(BPF_LD_W_ABS, OFFSET_ARCH));
  // Another architecture word: skip the load, the checks and ALLOW, to the refusal.
  program.push(instruction(BPF_JMP_JEQ_K, table.audit, 0, checks + 2));
  program.push(instruction(BPF_LD_W_ABS, OFFSET_NR));
  // x32 numbers on x86_64: skip the remaining checks and ALLOW, to the refusal.
  if (table.foreignFrom !== undefined) program.push(instruction(BPF_JMP_JGE_K, table.foreignFrom, checks, 0));
  for (const { nr, ret } of denied) {
    program.push(instruction(BPF_JMP_JEQ_K, nr, 0, 1));
    program.push(instruction(BPF_RET_K, ret));
  }
  program.push(instruction(BPF_RET_K, RET_ALLOW));
  program.push(instruction(BPF_RET_K, RET_ERRNO | EPERM));
  return Buffer.concat(program);
}

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}
