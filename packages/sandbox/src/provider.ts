/**
 * The provider port: what starts sandboxes. The runtime picks one provider at start-up (the
 * bubblewrap one, or the unsandboxed one when the operator opted in) and hands it to the
 * `SandboxManager`; tools only ever see the `Sandbox` port.
 */
import type { Sandbox } from './sandbox.js';
import type { SnapshotStore } from './workspace/snapshots.js';

/** Resource limits of one sandbox; each is applied where the host allows it. */
export interface SandboxLimits {
  /** Memory of every process together (cgroup memory limit, swap included where supported). */
  memoryBytes?: number;
  /** Number of processes and threads (cgroup pids limit, else RLIMIT_NPROC of its host uid). */
  pids?: number;
  /** CPU time as a number of cores (1.5 = one and a half). */
  cpus?: number;
  /** Size of the sandbox's `/tmp`, and again of its `/dev/shm` (tmpfs, counted against its memory). */
  tmpBytes?: number;
}

/** How to start a session's sandbox. Everything here is visible inside: never put secrets in it. */
export interface SandboxSpec {
  /** Extra environment variables (the environment's configuration), on top of the defaults. */
  env?: Readonly<Record<string, string>>;
  /** Overrides of the provider's default limits. */
  limits?: SandboxLimits;
  /**
   * Host path of the egress proxy's Unix socket for this sandbox. When given, the sandbox gets
   * `HTTP(S)_PROXY=http://127.0.0.1:3128` and that port is relayed to the socket; without it the
   * sandbox has no network at all. The socket must be connectable by the sandbox's host uid.
   */
  proxySocketPath?: string;
  /** Host directory shown read-only at `/mnt/session/uploads` (default: the sandbox's own, empty). */
  uploadsDir?: string;
}

/** A sandbox as a provider hands it out: the port, plus explicit start and some facts. */
export interface ProvidedSandbox extends Sandbox {
  /** Starts the processes now (otherwise the first call does). Idempotent. */
  start(): Promise<void>;
  /** `running` while its processes exist; `stopped` after `suspend` (or before the first call). */
  readonly state: 'stopped' | 'running' | 'closed';
  /** The host uid the sandbox's processes run as (`undefined` when not switched). */
  readonly hostUid: number | undefined;
  /**
   * Whether `quiesce` can freeze this sandbox while it runs (its processes are in a cgroup with
   * a freezer). Only meaningful while `state` is `running`.
   */
  readonly freezable?: boolean;
  /**
   * Runs `work` while every process of the sandbox is frozen (cgroup freezer: processes it is
   * forking at that moment included), and thaws it afterwards, also when `work` or the freeze
   * fails. When the sandbox is not running, runs `work` directly.
   * @throws SandboxError `unavailable` when it runs and cannot be frozen on this host, or did not freeze in time
   */
  quiesce?<T>(work: () => Promise<T>): Promise<T>;
}

/** Starts sandboxes of one kind. */
export interface SandboxProvider {
  /** `bubblewrap`, or `local` for the unsandboxed provider. */
  readonly kind: 'bubblewrap' | 'local';
  /**
   * The sandbox `id`, creating its storage on first use and reusing it afterwards (also across
   * restarts of the host process). Nothing runs until `start()` or the first call.
   */
  open(id: string, spec?: SandboxSpec): Promise<ProvidedSandbox>;
  /**
   * The host uid and gid sandbox `id` runs as (creating its storage if needed): the owner to give
   * its egress proxy's socket before the sandbox starts.
   */
  identity(id: string): Promise<{ uid: number; gid: number }>;
  /** Deletes the storage of sandbox `id` for good (it must not be running). */
  destroy(id: string): Promise<void>;
  /** Checkpoints, forks and layers of the provider's storage, when it is layered. */
  readonly snapshots?: SnapshotStore;
}
