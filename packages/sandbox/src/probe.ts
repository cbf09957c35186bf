/**
 * What the host offers for sandboxing, found at start-up and reported in plain words: a user's
 * machine may differ from ours (an ordinary Docker container often has no user namespaces, no
 * overlayfs and no writable cgroups), and a provider should say what it found rather than fail
 * later in a confusing way.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describeCgroups } from './bubblewrap/cgroups.js';
import { SECCOMP_ARCHES } from './bubblewrap/seccomp-filter.js';
import { SandboxError } from './sandbox.js';

/** The command that installs bubblewrap on Debian and Ubuntu. */
export const BWRAP_INSTALL_COMMAND = 'apt-get install bubblewrap';
/** bwrap 0.8 brought `--disable-userns`, which the provider relies on. */
export const BWRAP_MIN_VERSION = '0.8.0';
/** The command that installs perl on Debian and Ubuntu (part of every base system there). */
export const PERL_INSTALL_COMMAND = 'apt-get install perl-base';

/** A host's sandboxing facilities. */
export interface HostProbe {
  /** `process.arch`, and whether the seccomp filter has a table for it. */
  arch: string;
  /** The server runs as root (needed to give each sandbox its own uid and cgroup). */
  root: boolean;
  /** The bwrap binary found, with its version; undefined when missing. */
  bubblewrap: { path: string; version: string } | undefined;
  /** The perl the sandbox supervisor runs under (in the system directories, so sandboxes see it). */
  perl: string | undefined;
  /** Whether unprivileged user namespaces are allowed, and why not when they are not. */
  userNamespaces: { available: boolean; detail: string };
  /** The cgroup hierarchy: v1 or v2, and which of memory, pids, cpu and freezer it has. */
  cgroups: { version: 1 | 2; controllers: string[] } | undefined;
  /** Kernel overlayfs is registered (needed by checkpoints and forks, later). */
  overlayfs: boolean;
  /** The kernel supports seccomp filters, and the filter supports this architecture. */
  seccomp: boolean;
}

function readTrimmed(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Finds an executable named `name` on PATH (and the usual system directories). */
export function findExecutable(name: string, path = process.env.PATH ?? ''): string | undefined {
  const dirs = [...path.split(delimiter).filter(Boolean), '/usr/bin', '/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/**
 * The perl binary the supervisor runs under. Only the system directories are searched: inside a
 * sandbox only they are visible.
 */
export function findPerl(): string | undefined {
  return findExecutable('perl', '/usr/bin:/bin');
}

/**
 * The perl found by `findPerl`, or a clear failure saying how to get it.
 * @throws SandboxError `unavailable` naming the install command
 */
export function requirePerl(path: string | undefined = findPerl()): string {
  if (!path) {
    throw new SandboxError(
      'unavailable',
      `perl is not installed; the sandbox supervisor runs under it. Install it with \`${PERL_INSTALL_COMMAND}\` (Debian/Ubuntu; \`dnf install perl-interpreter\` on Fedora).`,
    );
  }
  return path;
}

function userNamespaces(): { available: boolean; detail: string } {
  const max = Number(readTrimmed('/proc/sys/user/max_user_namespaces') ?? '0');
  if (!(max > 0)) return { available: false, detail: 'user.max_user_namespaces is 0' };
  if (readTrimmed('/proc/sys/kernel/unprivileged_userns_clone') === '0') {
    return { available: false, detail: 'kernel.unprivileged_userns_clone is 0 (sysctl -w kernel.unprivileged_userns_clone=1)' };
  }
  if (readTrimmed('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') === '1') {
    return { available: false, detail: 'AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns=1); allow bwrap with an AppArmor profile' };
  }
  return { available: true, detail: `up to ${max}` };
}

/** Compares dotted versions. */
function atLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map(Number);
  const b = minimum.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/**
 * Looks at the host. Cheap (a few file reads and one `bwrap --version`), free of side effects.
 * @param options.bwrapPath a bwrap binary to use instead of searching PATH
 */
export function probeHost(options: { bwrapPath?: string } = {}): HostProbe {
  const path = options.bwrapPath ?? findExecutable('bwrap');
  let bubblewrap: HostProbe['bubblewrap'];
  if (path) {
    const run = spawnSync(path, ['--version'], { encoding: 'utf8', env: {} });
    const version = /(\d+\.\d+(?:\.\d+)?)/.exec(run.stdout ?? '')?.[1];
    if (run.status === 0 && version) bubblewrap = { path, version };
  }
  const status = readTrimmed('/proc/self/status') ?? '';
  return {
    arch: process.arch,
    root: process.getuid?.() === 0,
    bubblewrap,
    perl: findPerl(),
    userNamespaces: userNamespaces(),
    cgroups: describeCgroups(),
    overlayfs: /\boverlay\b/.test(readTrimmed('/proc/filesystems') ?? ''),
    seccomp: /^Seccomp:/m.test(status) && SECCOMP_ARCHES.includes(process.arch),
  };
}

/** One line per facility, for the start-up log. */
export function describeProbe(probe: HostProbe): string {
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  return [
    `bubblewrap: ${probe.bubblewrap ? `${probe.bubblewrap.version} (${probe.bubblewrap.path})` : `missing (install it: ${BWRAP_INSTALL_COMMAND})`}`,
    `perl: ${probe.perl ?? `missing (install it: ${PERL_INSTALL_COMMAND})`}`,
    `user namespaces: ${probe.userNamespaces.available ? 'yes' : 'no'} (${probe.userNamespaces.detail})`,
    `cgroups: ${probe.cgroups ? `v${probe.cgroups.version} [${probe.cgroups.controllers.join(', ')}]` : 'none usable'}`,
    `overlayfs: ${yes(probe.overlayfs)}`,
    `seccomp: ${yes(probe.seccomp)} (${probe.arch})`,
    `running as root: ${yes(probe.root)}`,
  ].join('\n');
}

/**
 * The bubblewrap found by `probe`, or a clear failure saying how to get it.
 * @throws SandboxError `unavailable` naming the install command, an old version, or what blocks
 *   user namespaces
 */
export function requireBubblewrap(probe: HostProbe): { path: string; version: string } {
  if (!probe.bubblewrap) {
    throw new SandboxError(
      'unavailable',
      `bubblewrap (bwrap) is not installed; sandboxes need it. Install it with \`${BWRAP_INSTALL_COMMAND}\` (Debian/Ubuntu; \`dnf install bubblewrap\` on Fedora), or opt in to the unsandboxed local provider.`,
    );
  }
  if (!atLeast(probe.bubblewrap.version, BWRAP_MIN_VERSION)) {
    throw new SandboxError('unavailable', `bubblewrap ${probe.bubblewrap.version} is too old: ${BWRAP_MIN_VERSION} or newer is needed (${BWRAP_INSTALL_COMMAND})`);
  }
  if (!probe.userNamespaces.available) {
    throw new SandboxError('unavailable', `bubblewrap needs unprivileged user namespaces, which this host does not allow: ${probe.userNamespaces.detail}`);
  }
  if (!probe.seccomp) throw new SandboxError('unavailable', `seccomp filters are not available for ${probe.arch} on this host`);
  return probe.bubblewrap;
}
