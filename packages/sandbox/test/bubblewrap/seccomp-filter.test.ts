import { describe, expect, it } from 'vitest';
import { DENIED_SYSCALLS, seccompProgram } from '../../src/bubblewrap/seccomp-filter.js';

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const AUDIT_ARCH_AARCH64 = 0xc00000b7;

/**
 * A classic-BPF interpreter for the instructions a seccomp filter uses, so the generated program
 * is checked by running it, not by re-reading the generator.
 */
function run(program: Buffer, data: { nr: number; arch: number }): number {
  const field = (offset: number) => (offset === 0 ? data.nr : offset === 4 ? data.arch : 0) >>> 0;
  let a = 0;
  for (let pc = 0; pc * 8 < program.length; ) {
    const code = program.readUInt16LE(pc * 8);
    const jt = program.readUInt8(pc * 8 + 2);
    const jf = program.readUInt8(pc * 8 + 3);
    const k = program.readUInt32LE(pc * 8 + 4);
    pc += 1;
    if (code === 0x20) a = field(k);
    else if (code === 0x15) pc += a === k ? jt : jf;
    else if (code === 0x35) pc += a >= k ? jt : jf;
    else if (code === 0x06) return k;
    else throw new Error(`unexpected instruction ${code.toString(16)}`);
  }
  throw new Error('the program fell off its end');
}

const ALLOW = 0x7fff0000;
const eperm = 0x00050000 | 1;
const enosys = 0x00050000 | 38;

describe('seccomp filter', () => {
  const x64 = seccompProgram('x64');

  it('returns EPERM for the dangerous calls and ENOSYS for clone3 (x86_64 numbers)', () => {
    const numbers = { ptrace: 101, mount: 165, umount2: 166, unshare: 272, setns: 308, keyctl: 250, bpf: 321, io_uring_setup: 425, open_tree: 428, fsopen: 430, perf_event_open: 298, userfaultfd: 323, init_module: 175 };
    for (const [name, nr] of Object.entries(numbers)) expect(run(x64, { nr, arch: AUDIT_ARCH_X86_64 }), name).toBe(eperm);
    expect(run(x64, { nr: 435, arch: AUDIT_ARCH_X86_64 })).toBe(enosys);
  });

  it('allows everything else: read, write, clone, execve, openat', () => {
    for (const nr of [0, 1, 56, 59, 257, 231, 39]) expect(run(x64, { nr, arch: AUDIT_ARCH_X86_64 })).toBe(ALLOW);
  });

  it('refuses another architecture word and the x32 numbering', () => {
    expect(run(x64, { nr: 0, arch: AUDIT_ARCH_I386 })).toBe(eperm);
    expect(run(x64, { nr: 0x40000000 + 101, arch: AUDIT_ARCH_X86_64 })).toBe(eperm);
    expect(run(x64, { nr: 0x40000000, arch: AUDIT_ARCH_X86_64 })).toBe(eperm);
  });

  it('has an aarch64 table that checks its own architecture word', () => {
    const arm = seccompProgram('arm64');
    expect(run(arm, { nr: 117, arch: AUDIT_ARCH_AARCH64 })).toBe(eperm);
    expect(run(arm, { nr: 435, arch: AUDIT_ARCH_AARCH64 })).toBe(enosys);
    expect(run(arm, { nr: 63, arch: AUDIT_ARCH_AARCH64 })).toBe(ALLOW);
    expect(run(arm, { nr: 117, arch: AUDIT_ARCH_X86_64 })).toBe(eperm);
    expect(run(arm, { nr: 0, arch: AUDIT_ARCH_X86_64 })).toBe(eperm);
  });

  it('covers every call the design lists', () => {
    expect(Object.keys(DENIED_SYSCALLS).sort()).toEqual(
      [
        'ptrace', 'mount', 'umount2', 'unshare', 'setns', 'keyctl', 'add_key', 'request_key', 'bpf',
        'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'open_tree', 'move_mount', 'fsopen',
        'fsconfig', 'fsmount', 'fspick', 'pivot_root', 'kexec_load', 'kexec_file_load', 'init_module',
        'finit_module', 'delete_module', 'perf_event_open', 'userfaultfd', 'clone3', 'mount_setattr',
      ].sort(),
    );
  });

  it('refuses to build a filter for an architecture it has no table for', () => {
    expect(() => seccompProgram('riscv64')).toThrow(/riscv64/);
  });
});
