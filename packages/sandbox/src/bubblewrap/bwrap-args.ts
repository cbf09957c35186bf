/**
 * The bubblewrap command line of a sandbox: a pure function of what the sandbox should see, so
 * the whole view of the world is in one place and can be read (and reviewed) top to bottom.
 */
import type { WorkspaceMount } from '../workspace/workspace-store.js';

/** Paths inside the sandbox. */
export const SANDBOX_PATHS = {
  workspace: '/workspace',
  home: '/home/agent',
  uploads: '/mnt/session/uploads',
  outputs: '/mnt/session/outputs',
  supervisor: '/opt/longhand/supervisor',
  proxySocket: '/run/longhand/proxy.sock',
} as const;

/** The identity inside: every sandbox is uid/gid 1000 `agent`, whatever its host uid. */
export const SANDBOX_USER = { uid: 1000, gid: 1000, name: 'agent', hostname: 'sandbox' } as const;

/** A host directory or symlink of the base system, as found on this host. */
export type SystemEntry = { path: string; kind: 'dir' } | { path: string; kind: 'symlink'; target: string };

/** Everything the command line depends on. */
export interface BwrapArgsInput {
  /** `/usr`, `/bin`, `/lib*`…: bound read-only, or recreated as symlinks (merged-/usr hosts). */
  system: readonly SystemEntry[];
  /** Host files bound read-only at the same path (a `node` outside /usr and its libraries). */
  extraReadOnly: readonly string[];
  /** Host directory shown as the sandbox's /etc (see host-runtime.ts), read-only. */
  etcDir: string;
  /**
   * Host /etc entries shown live over their mount points in `etcDir`: what libc, TLS and
   * Debian's alternatives need. Never secrets (shadow, ssh keys, sudoers) nor configuration that
   * may carry credentials (npmrc, gitconfig, environment).
   */
  etcBinds: readonly string[];
  /** Host directory of the supervisor's files. */
  supervisorDir: string;
  /** The writable (and uploads) directories. */
  mount: WorkspaceMount;
  /** The environment, complete (`--clearenv` drops everything else). */
  env: Readonly<Record<string, string>>;
  /** Size of `/tmp` in bytes. */
  tmpBytes: number;
  /** The egress proxy's socket, bound in when given. */
  proxySocketPath?: string;
  /** Descriptors, as numbered in bwrap: the seccomp program, and where bwrap reports its pid 1. */
  fds: { seccomp: number; info?: number };
  /** The command run as pid 2: the supervisor under the host's perl. */
  command: readonly string[];
}

/**
 * Builds bwrap's arguments (without the program name).
 * @example spawn('bwrap', bwrapArgs(input), { uid, gid, env: {} })
 */
export function bwrapArgs(input: BwrapArgsInput): string[] {
  const args: string[] = [
    // Own user, pid, ipc, uts, net and cgroup namespaces: no network but loopback, no view of
    // the host's processes. No nested user namespaces, no capabilities, no controlling terminal
    // (TIOCSTI), and the whole tree dies with its host process.
    '--unshare-all',
    '--unshare-user',
    '--disable-userns',
    '--cap-drop', 'ALL',
    '--die-with-parent',
    '--new-session',
    '--uid', String(SANDBOX_USER.uid),
    '--gid', String(SANDBOX_USER.gid),
    '--hostname', SANDBOX_USER.hostname,
  ];
  for (const entry of input.system) {
    if (entry.kind === 'dir') args.push('--ro-bind', entry.path, entry.path);
    else args.push('--symlink', entry.target, entry.path);
  }
  args.push('--ro-bind', input.etcDir, '/etc');
  for (const path of input.etcBinds) args.push('--ro-bind', path, path);
  for (const path of input.extraReadOnly) args.push('--ro-bind', path, path);
  args.push(
    '--proc', '/proc',
    // bwrap leaves /proc/sys writable; a sandbox must not reach the host's sysctls.
    '--ro-bind', '/proc/sys', '/proc/sys',
    '--dev', '/dev',
    // Both tmpfs are counted against the sandbox's memory: without a size, filling one gets the
    // sandbox's own processes OOM-killed instead of failing the write with ENOSPC.
    '--perms', '1777', '--size', String(input.tmpBytes), '--tmpfs', '/dev/shm',
    '--perms', '1777', '--size', String(input.tmpBytes), '--tmpfs', '/tmp',
    '--symlink', '/tmp', '/var/tmp',
    '--bind', input.mount.workspace, SANDBOX_PATHS.workspace,
    '--bind', input.mount.home, SANDBOX_PATHS.home,
    '--bind', input.mount.outputs, SANDBOX_PATHS.outputs,
    '--ro-bind', input.mount.uploads, SANDBOX_PATHS.uploads,
    '--ro-bind', input.supervisorDir, SANDBOX_PATHS.supervisor,
  );
  if (input.proxySocketPath) args.push('--bind', input.proxySocketPath, SANDBOX_PATHS.proxySocket);
  // Everything above is mounted: freeze the skeleton so nothing new appears at the top level.
  args.push('--remount-ro', '/');
  args.push('--seccomp', String(input.fds.seccomp));
  if (input.fds.info !== undefined) args.push('--info-fd', String(input.fds.info));
  args.push('--clearenv');
  for (const [name, value] of Object.entries(input.env)) args.push('--setenv', name, value);
  args.push('--chdir', SANDBOX_PATHS.workspace, '--', ...input.command);
  return args;
}
