/**
 * The default provider: each sandbox is a bubblewrap container around the supervisor, run as the
 * sandbox's own non-root host uid (a root-launched bwrap would map the sandbox to host root),
 * with a seccomp filter, no network, a read-only system and cgroup limits where the host allows.
 */
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { SandboxError } from '../sandbox.js';
import type { ProvidedSandbox, SandboxLimits, SandboxProvider, SandboxSpec } from '../provider.js';
import { describeProbe, findExecutable, probeHost, requireBubblewrap, requirePerl, type HostProbe } from '../probe.js';
import { buildSandboxEnv } from '../sandbox-env.js';
import { SupervisedSandbox, type CallDefaults } from '../supervised-sandbox.js';
import { OverlayWorkspaceStore } from '../workspace/overlay-workspace-store.js';
import type { SnapshotStore } from '../workspace/snapshots.js';
import { assertUidRange, type UidRange } from '../workspace/uid-claims.js';
import type { WorkspaceStore } from '../workspace/workspace-store.js';
import { SANDBOX_PATHS, SANDBOX_USER, type SystemEntry } from './bwrap-args.js';
import { launchSandbox, type BubblewrapHost } from './bwrap-launch.js';
import { detectCgroups } from './cgroups.js';
import { nodeBinds, prepareHostRuntime, systemEntries, unreachableByOthers } from './host-runtime.js';
import { seccompProgram } from './seccomp-filter.js';

/** Options of the bubblewrap provider. */
export interface BubblewrapProviderOptions {
  /** Storage root for workspaces, uid claims and the runtime files (e.g. `<dataDir>/sandbox`). */
  root: string;
  /** Host uids handed to sandboxes, one each (used when the server runs as root). */
  uidRange?: UidRange;
  /** Limits of every sandbox unless its spec says otherwise. */
  limits?: SandboxLimits;
  /** Where sandbox cgroups go in each hierarchy. */
  cgroupParent?: string;
  /** Set to false to apply no cgroup (limits then fall back to RLIMIT_NPROC only). */
  useCgroups?: boolean;
  /** A bwrap binary to use instead of the one on PATH. */
  bwrapPath?: string;
  /** A node binary to show inside sandboxes when it lives outside /usr (default: this process's). */
  nodePath?: string;
  /** Host variables copied into every sandbox (an explicit allowlist; none by default). */
  inheritEnv?: readonly string[];
  /** Defaults of calls that do not set their own timeout or caps. */
  calls?: Partial<CallDefaults>;
  /** Where the provider reports what it found and what it could not apply. */
  logger?: { info(message: string): void; warn(message: string): void };
  /**
   * Replaces the storage (default: an `OverlayWorkspaceStore` over `root`, overlay where the host
   * allows, copies elsewhere). A store that is also a `SnapshotStore` gives checkpoints and forks.
   */
  store?: WorkspaceStore | (WorkspaceStore & SnapshotStore);
}

/** Default limits: generous for builds, small enough that one session cannot starve a host. */
export const DEFAULT_LIMITS: Required<SandboxLimits> = {
  memoryBytes: 4 * 1024 ** 3,
  pids: 1024,
  cpus: 2,
  tmpBytes: 1024 ** 3,
};

/** An empty sandbox cgroup this old was left by a host process that died. */
const STALE_GROUP_AGE_MS = 5 * 60_000;

/** Default uid range: well above login accounts and the usual subuid ranges. */
export const DEFAULT_UID_RANGE: UidRange = { first: 2_000_000, count: 100_000 };

/** The bubblewrap provider, ready to open sandboxes. */
export class BubblewrapProvider implements SandboxProvider {
  readonly kind = 'bubblewrap' as const;
  readonly snapshots: SnapshotStore | undefined;

  constructor(
    /** What the host offers, as found at start-up. */
    readonly probe: HostProbe,
    private readonly host: BubblewrapHost,
    private readonly options: BubblewrapProviderOptions,
  ) {
    this.snapshots = isSnapshotStore(host.store) ? host.store : undefined;
  }

  async open(id: string, spec: SandboxSpec = {}): Promise<ProvidedSandbox> {
    const record = await this.host.store.ensure(id);
    // Fail now, not at the first command, on a spec that cannot work.
    const env = buildSandboxEnv(spec.env, { home: SANDBOX_PATHS.home, user: SANDBOX_USER.name }, this.options.inheritEnv);
    return new SupervisedSandbox({
      id,
      workdir: SANDBOX_PATHS.workspace,
      hostUid: record.uid,
      calls: this.options.calls,
      launch: () => launchSandbox(this.host, record, spec, env),
    });
  }

  async identity(id: string): Promise<{ uid: number; gid: number }> {
    const { uid, gid } = await this.host.store.ensure(id);
    return { uid, gid };
  }

  async destroy(id: string): Promise<void> {
    await this.host.store.destroy(id);
  }
}

/**
 * Probes the host and builds the provider, failing with a clear message (including the install
 * command) when bubblewrap is missing or cannot work here.
 * @throws SandboxError `unavailable`
 */
export async function createBubblewrapProvider(options: BubblewrapProviderOptions): Promise<BubblewrapProvider> {
  const probe = probeHost({ bwrapPath: options.bwrapPath });
  const bwrap = requireBubblewrap(probe).path;
  const perlPath = requirePerl(probe.perl);
  const root = probe.root;
  const range = options.uidRange ?? DEFAULT_UID_RANGE;
  if (root) assertUidRange(range);
  const store = options.store ?? (await OverlayWorkspaceStore.open({ root: options.root, uids: root ? range : 'self' }));
  if (!root) options.logger?.warn('not running as root: every sandbox runs as this user\'s uid, and without cgroup limits');
  const runtime = prepareHostRuntime(options.root);
  const nodePath = options.nodePath ?? process.execPath;
  if (root) {
    for (const [path, executable] of [[perlPath, true], [`${runtime.supervisorDir}/supervisor.pl`, false]] as const) {
      const problem = unreachableByOthers(path, executable);
      if (problem) throw new SandboxError('unavailable', `sandbox uids cannot run the supervisor: ${problem}`);
    }
  }
  const cgroups = root && options.useCgroups !== false ? detectCgroups(options.cgroupParent) : undefined;
  if (!cgroups) options.logger?.warn('no usable cgroups: memory and CPU limits are not applied; processes are limited by RLIMIT_NPROC');
  cgroups?.removeStale(STALE_GROUP_AGE_MS);
  const system = systemEntries();
  const provider = new BubblewrapProvider(
    probe,
    {
      bwrap,
      root,
      store,
      runtime,
      system,
      perlPath,
      extraReadOnly: nodeBinds(nodePath),
      cgroups,
      prlimit: findExecutable('prlimit'),
      limits: { ...DEFAULT_LIMITS, ...options.limits },
      logger: options.logger,
    },
    options,
  );
  options.logger?.info(`sandbox host:\n${describeProbe(probe)}`);
  await selfTest(bwrap, root ? range.first : undefined, system);
  return provider;
}

/** Whether a store can also checkpoint and fork (the layered ones). */
export function isSnapshotStore(store: WorkspaceStore): store is WorkspaceStore & SnapshotStore {
  const candidate = store as Partial<SnapshotStore>;
  return typeof candidate.checkpoint === 'function' && typeof candidate.fork === 'function' && typeof candidate.restore === 'function';
}

/**
 * Starts one minimal sandbox with the real flags, so a host that forbids them (AppArmor, a
 * container without user namespaces) fails at start-up with bwrap's own words.
 */
async function selfTest(bwrap: string, uid: number | undefined, system: readonly SystemEntry[]): Promise<void> {
  const binds = system.flatMap((e) => (e.kind === 'dir' ? ['--ro-bind', e.path, e.path] : ['--symlink', e.target, e.path]));
  const child = spawn(
    bwrap,
    ['--unshare-all', '--unshare-user', '--disable-userns', '--cap-drop', 'ALL', '--die-with-parent', ...binds, '--seccomp', '3', '--', '/usr/bin/true'],
    { ...(uid === undefined ? {} : { uid, gid: uid }), env: {}, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  (child.stdio[3] as Writable).end(seccompProgram());
  const code = await new Promise<number | null>((resolve) => {
    child.once('error', (err) => {
      stderr += err.message;
      resolve(null);
    });
    child.once('close', (status) => resolve(status));
  });
  if (code !== 0) throw new SandboxError('unavailable', `bubblewrap cannot start a sandbox on this host: ${stderr.trim() || `exit ${code}`}`);
}
