/**
 * The unsandboxed provider: the same supervisor, run directly on the host as the server's own
 * user, for hosts without bubblewrap. Commands can read and write anything that user can, reach
 * the network and every local service. Only the file operations stay confined to the session's
 * directories. It must be chosen explicitly, and it says so, loudly, every time a sandbox starts.
 */
import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { ProvidedSandbox, SandboxProvider, SandboxSpec } from '../provider.js';
import { requirePerl } from '../probe.js';
import { SandboxError } from '../sandbox.js';
import { buildSandboxEnv, splitForSupervisor } from '../sandbox-env.js';
import { SupervisedSandbox, type CallDefaults, type LaunchedSupervisor } from '../supervised-sandbox.js';
import { SUPERVISOR_SOURCE_DIR, SupervisorClient } from '../supervisor-client.js';
import { OverlayWorkspaceStore } from '../workspace/overlay-workspace-store.js';
import type { CheckpointResult, LayerInfo, Snapshot, SnapshotStore } from '../workspace/snapshots.js';

/** Options of the unsandboxed provider. */
export interface LocalProviderOptions {
  /** Storage root, laid out like the bubblewrap provider's (files owned by the server's user). */
  root: string;
  /** Must be `true`: the operator accepts that agent commands run unconfined on this host. */
  acknowledgeNoIsolation: true;
  /** Host variables copied into every sandbox (an explicit allowlist; none by default). */
  inheritEnv?: readonly string[];
  /** Defaults of calls that do not set their own timeout or caps. */
  calls?: Partial<CallDefaults>;
  /** Receives the warning printed at every start (default: `console.warn`). */
  logger?: { warn(message: string): void };
  /** How the layered store keeps files (default `auto`: overlay when root, else copies). */
  method?: 'auto' | 'overlay' | 'copy';
  /** The layered store's `maxLayerBytes`. */
  maxLayerBytes?: number;
}

const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 2000;

/** Runs supervisors directly on the host. */
export class LocalProvider implements SandboxProvider {
  readonly kind = 'local' as const;
  /** Checkpoints and forks of this provider's sandboxes (layered storage, opened on first use). */
  readonly snapshots: SnapshotStore;
  readonly #ready: Promise<OverlayWorkspaceStore>;
  readonly #options: LocalProviderOptions;
  /** The perl the supervisor runs under. */
  readonly #perl: string;

  /**
   * @throws Error unless `acknowledgeNoIsolation` is `true`
   * @throws SandboxError `unavailable` when perl is missing (naming the install command)
   */
  constructor(options: LocalProviderOptions) {
    if (options.acknowledgeNoIsolation !== true) {
      throw new Error('the local provider runs agent commands without any isolation; set acknowledgeNoIsolation: true to use it');
    }
    this.#perl = requirePerl();
    this.#options = options;
    // Stable paths: the sandbox's working directory is a host path, fixed when it is opened.
    this.#ready = OverlayWorkspaceStore.open({
      root: options.root,
      uids: 'self',
      stablePaths: true,
      method: options.method ?? 'auto',
      ...(options.maxLayerBytes !== undefined ? { maxLayerBytes: options.maxLayerBytes } : {}),
    });
    this.#ready.catch(() => {});
    this.snapshots = delegateSnapshots(this.#ready);
  }

  /** The provider's storage, once opened. */
  store(): Promise<OverlayWorkspaceStore> {
    return this.#ready;
  }

  async open(id: string, spec: SandboxSpec = {}): Promise<ProvidedSandbox> {
    const store = await this.#ready;
    const record = await store.ensure(id);
    const workspace = store.viewOf(id).workspace;
    return new SupervisedSandbox({
      id,
      workdir: workspace,
      hostUid: undefined,
      calls: this.#options.calls,
      launch: () => this.#launch(record.id, spec),
    });
  }

  async identity(id: string): Promise<{ uid: number; gid: number }> {
    const { uid, gid } = await (await this.#ready).ensure(id);
    return { uid, gid };
  }

  async destroy(id: string): Promise<void> {
    await (await this.#ready).destroy(id);
  }

  async #launch(id: string, spec: SandboxSpec): Promise<LaunchedSupervisor> {
    const warn = this.#options.logger?.warn.bind(this.#options.logger) ?? console.warn;
    warn(
      `WARNING: sandbox ${id} runs WITHOUT ISOLATION (local provider): its commands run as ${userInfo().username} on this host, ` +
        'with access to its files, network and services. Install bubblewrap (apt-get install bubblewrap) for real sandboxes.',
    );
    const store = await this.#ready;
    const mount = await store.mount(id);
    const uploads = spec.uploadsDir ?? mount.uploads;
    const env = splitForSupervisor(buildSandboxEnv(spec.env, { home: mount.home, user: userInfo().username }, this.#options.inheritEnv));
    const config = {
      workdir: mount.workspace,
      roots: [
        { path: mount.workspace, writable: true },
        { path: mount.home, writable: true },
        { path: mount.outputs, writable: true },
        { path: uploads, writable: false },
      ],
      shell: '/bin/bash',
      // Host processes are visible: only the shell's own sessions may be killed.
      ownPidNamespace: false,
      env: env.deferred,
      ...(spec.proxySocketPath ? { proxy: { socketPath: spec.proxySocketPath, host: '127.0.0.1', port: 0 } } : {}),
    };
    const child = spawn(this.#perl, [join(SUPERVISOR_SOURCE_DIR, 'supervisor.pl'), JSON.stringify(config)], {
      cwd: mount.workspace,
      env: env.process,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const client = new SupervisorClient(child);
    const stop = async () => {
      // Closing its stdin makes the supervisor kill its shell and exit; force it if it does not.
      client.fail('the sandbox was stopped');
      const timer = setTimeout(() => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Gone.
        }
      }, STOP_GRACE_MS);
      await client.exited;
      clearTimeout(timer);
      await store.unmount(id);
    };
    const timer = setTimeout(() => client.fail(`the sandbox did not start within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    try {
      await client.ready;
    } catch (err) {
      await stop();
      throw err instanceof SandboxError ? err : new SandboxError('unavailable', String(err), true);
    } finally {
      clearTimeout(timer);
    }
    return { client, stop };
  }
}

/** A `SnapshotStore` whose calls wait for the store to be opened. */
function delegateSnapshots(ready: Promise<SnapshotStore>): SnapshotStore {
  return {
    checkpoint: async (id, quiesce): Promise<CheckpointResult> => (await ready).checkpoint(id, quiesce),
    fork: async (snapshot: Snapshot, newId: string) => (await ready).fork(snapshot, newId),
    restore: async (id: string, snapshot: Snapshot) => (await ready).restore(id, snapshot),
    layersOf: async (id: string) => (await ready).layersOf(id),
    collect: async (keep: ReadonlySet<string>) => (await ready).collect(keep),
    layerInfo: async (id: string): Promise<LayerInfo | undefined> => (await ready).layerInfo(id),
    exportLayer: async (id: string) => (await ready).exportLayer(id),
    importLayer: async (id: string, tar: NodeJS.ReadableStream) => (await ready).importLayer(id, tar),
  };
}
