import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  createBubblewrapProvider,
  DEFAULT_UID_RANGE,
  guardedFetch,
  LocalProvider,
  OverlayWorkspaceStore,
  probeHost,
  SandboxError,
  SandboxManager,
  type Sandbox,
  type SandboxLimits,
  type SandboxProvider,
  type SnapshotStore,
  type WorkspaceMount,
} from '@longhand/sandbox';
import { invalidRequest, LonghandError, type Environment } from '@longhand/protocol';
import type { Fetcher } from '@longhand/tools';
import type { Store } from '@longhand/store';
import type { Files } from '../files/files.js';
import { EgressProxies, policyFor } from './egress.js';
import type { BaseLayerTransport, EnvironmentBases } from './packages/environment-bases.js';
import { environmentBases, sandboxHome, type PackagesConfig } from './packages/hands-bases.js';
import { installedPackagesEnv } from './packages/install-env.js';
import { Uploads } from './uploads.js';

export interface HandsConfig {
  /**
   * `bubblewrap` (the default) isolates every session; `unsandboxed` runs agent commands on the
   * host unconfined and must be chosen explicitly; `none` offers agents no built-in tools.
   */
  sandbox?: 'bubblewrap' | 'unsandboxed' | 'none';
  /** A sandbox with no call for this long is suspended: no process left, files kept. */
  idleTimeoutMs?: number;
  /** Limits of every sandbox. */
  limits?: SandboxLimits;
  /**
   * Most file data, by length, one checkpoint of a session's files may add (default 16 GiB). A
   * turn whose changes are bigger is not checkpointed (the server logs why) and an explicit
   * checkpoint fails with 409; the files themselves are kept.
   */
  maxCheckpointBytes?: number;
  /**
   * How environments' `packages` are installed into their base layers: operator mirrors, time
   * limits (see docs/decisions/2026-11-23-environment-base-layers.md).
   */
  packages?: PackagesConfig;
}

/**
 * The hands of every session this process runs: a sandbox per session (started on demand,
 * suspended when idle, its files kept on disk), its egress proxy applying the environment's
 * network policy, and its uploaded files put in place.
 */
export class Hands {
  private readonly uploads: Uploads;
  private readonly proxies: EgressProxies;
  /**
   * Runs before a session's files are used on this machine: to run its sandbox, or to browse
   * them. Set by the runtime when workspaces roam between workers (their layers are fetched first).
   */
  beforeFiles: ((sessionId: string, use: 'run' | 'browse') => Promise<void>) | undefined;
  /** Environments' packages, installed once into base layers new sessions start from. */
  private readonly bases: EnvironmentBases;

  private get snapshots(): SnapshotStore {
    return this.workspaces;
  }

  private constructor(
    readonly kind: 'bubblewrap' | 'unsandboxed',
    readonly manager: SandboxManager,
    readonly workspaces: OverlayWorkspaceStore,
    private readonly root: string,
    private readonly store: Store,
    files: Files,
    idleMs: number,
    private readonly log: (message: string) => void,
    packages?: PackagesConfig,
  ) {
    this.uploads = new Uploads(files, (id) => this.sessionDir(id));
    this.proxies = new EgressProxies((id) => this.sessionDir(id), manager, idleMs, log);
    this.bases = environmentBases({ kind, store, manager, workspaces, proxies: this.proxies, destroy: (id) => this.destroy(id), log }, packages);
  }

  /**
   * Sets the hands up, or returns undefined for `sandbox: 'none'`.
   * @throws SandboxError when bubblewrap is missing (its message says how to install it).
   */
  static async create(config: HandsConfig, dataDir: string, store: Store, files: Files, log: (message: string) => void): Promise<Hands | undefined> {
    const choice = config.sandbox ?? 'bubblewrap';
    if (choice === 'none') return undefined;
    const root = await sandboxRoot(dataDir, choice === 'bubblewrap' && probeHost().root, log);
    const idleMs = config.idleTimeoutMs ?? 5 * 60_000;
    let provider: SandboxProvider;
    let workspaces: OverlayWorkspaceStore;
    if (choice === 'unsandboxed') {
      log('WARNING: sandboxing is OFF (--sandbox unsandboxed): agent commands run on this host as this user, with no isolation.');
      const local = new LocalProvider({
        root,
        acknowledgeNoIsolation: true,
        logger: { warn: log },
        ...(config.maxCheckpointBytes !== undefined ? { maxLayerBytes: config.maxCheckpointBytes } : {}),
      });
      // One store per root: the provider's own (its per-sandbox locks must see every caller).
      workspaces = await local.store();
      provider = local;
    } else {
      workspaces = await OverlayWorkspaceStore.open({
        root,
        uids: probeHost().root ? DEFAULT_UID_RANGE : 'self',
        ...(config.maxCheckpointBytes !== undefined ? { maxLayerBytes: config.maxCheckpointBytes } : {}),
      });
      provider = await createBubblewrapProvider({
        root,
        store: workspaces,
        ...(config.limits ? { limits: config.limits } : {}),
        logger: { info: log, warn: (message) => log(`warning: ${message}`) },
      });
    }
    const manager = new SandboxManager({ provider, idleTimeoutMs: idleMs });
    return new Hands(choice, manager, workspaces, root, store, files, idleMs, log, config.packages);
  }

  /** The session's running sandbox, with its network and files in place. */
  async sandbox(sessionId: string): Promise<Sandbox> {
    await this.beforeFiles?.(sessionId, 'run');
    const record = await this.store.sessions.get(sessionId);
    if (!record) throw new Error(`session ${sessionId} no longer exists`);
    const caller = { workspaceId: record.workspaceId, keyId: null, admin: true };
    const environment = await this.environment(record.session.environment_id);
    // Before anything creates the session's storage: a new session starts from its environment's base.
    await this.bases.prepare(sessionId, record.session.environment_id);
    const proxySocketPath = await this.proxies.ensure(sessionId, policyFor(environment, record.session.agent));
    const uploadsDir = await this.uploads.hostDir(caller, record.session);
    const env = installedPackagesEnv(sandboxHome(this, sessionId));
    const sandbox = await this.manager.acquire(sessionId, { proxySocketPath, uploadsDir, env });
    await this.uploads.placeOthers(caller, record.session, sandbox);
    return sandbox;
  }

  /** A fetch for server-side web_fetch that applies the session's network policy. */
  fetcherFor(sessionId: string): Fetcher {
    return async (url, options) => {
      const record = await this.store.sessions.get(sessionId);
      if (!record) throw new Error(`session ${sessionId} no longer exists`);
      const environment = await this.environment(record.session.environment_id);
      const response = await guardedFetch(url, { policy: policyFor(environment, record.session.agent), maxBytes: options.maxBytes, signal: options.signal });
      return { status: response.status, contentType: response.headers['content-type'] ?? null, body: response.body, finalUrl: response.url };
    };
  }

  /** Freezes the session's files into a snapshot (its sandbox may keep running). */
  /** @throws LonghandError 409 when what changed is more than one checkpoint may hold */
  async checkpoint(sessionId: string): Promise<{ snapshot: { layers: string[] }; addedBytes: number }> {
    await this.prepareFiles(sessionId);
    try {
      return await this.manager.checkpoint(sessionId);
    } catch (error) {
      if (error instanceof SandboxError && error.code === 'too_large') throw new LonghandError('state_conflict', `the session's files cannot be checkpointed: ${error.message}`);
      throw error;
    }
  }

  /** Bytes the given layers take together. */
  async layerBytes(layers: readonly string[]): Promise<number> {
    let total = 0;
    for (const layer of layers) total += (await this.snapshots.layerInfo(layer))?.bytes ?? 0;
    return total;
  }

  /** Gives `childId` a workspace that starts as `layers`, and a copy of the parent's uploads. */
  async fork(layers: string[], parentId: string | undefined, childId: string): Promise<void> {
    await this.manager.fork({ layers }, childId);
    if (parentId) await this.uploads.copy(parentId, childId);
  }

  /** A layer as a tar stream (export). */
  exportLayer(id: string): Promise<NodeJS.ReadableStream> {
    return this.snapshots.exportLayer(id);
  }

  /**
   * Imports a layer, validated entry by entry and against its id.
   * @throws LonghandError 400 when the layer archive is bad (nothing of it is kept)
   */
  async importLayer(id: string, tar: NodeJS.ReadableStream): Promise<void> {
    try {
      await this.snapshots.importLayer(id, tar);
    } catch (error) {
      if (error instanceof SandboxError && error.code === 'invalid_archive') throw invalidRequest(`the archive's layer ${id} is not valid: ${error.message}`);
      throw error;
    }
  }

  /** Rolls the session's files back to `layers` (its sandbox is stopped first). */
  async restore(sessionId: string, layers: string[]): Promise<void> {
    await this.manager.restore(sessionId, { layers });
  }

  /**
   * Makes environment bases roam with sessions' files (an object store): their layers are
   * shipped when built and fetched by whichever worker forks a session from them.
   */
  set baseLayerTransport(transport: BaseLayerTransport | undefined) {
    this.bases.transport = transport;
  }

  /** Layers of every recorded environment base (kept by every garbage collection). */
  baseLayers(): Promise<Set<string>> {
    return this.bases.referencedLayers();
  }

  /** Deletes every layer no checkpoint, no recorded environment base and no live sandbox needs. */
  async collect(keep: ReadonlySet<string>): Promise<{ removedLayers: number; freedBytes: number }> {
    return this.snapshots.collect(new Set([...keep, ...(await this.bases.referencedLayers())]));
  }

  /** Stops the session's sandbox and deletes its files for good (the session was deleted). */
  async destroy(sessionId: string): Promise<void> {
    await this.manager.close(sessionId);
    await this.proxies.close(sessionId);
    await this.manager.destroy(sessionId).catch((error: unknown) => this.log(`could not delete the sandbox of ${sessionId}: ${(error as Error).message}`));
    await rm(this.sessionDir(sessionId), { recursive: true, force: true });
  }

  /** The session's files to read (never starting its sandbox); see `OverlayWorkspaceStore.browse`. */
  async browse(sessionId: string): Promise<WorkspaceMount> {
    await this.beforeFiles?.(sessionId, 'browse');
    await this.prepareFiles(sessionId);
    return this.workspaces.browse(sessionId);
  }

  /** Gives a session without files its environment's base (see `EnvironmentBases.prepare`). */
  private async prepareFiles(sessionId: string): Promise<void> {
    if (this.workspaces.hasStorage(sessionId)) return;
    const record = await this.store.sessions.get(sessionId);
    if (record) await this.bases.prepare(sessionId, record.session.environment_id);
  }

  async close(): Promise<void> {
    await this.manager.closeAll();
    await this.proxies.closeAll();
    await this.workspaces.closeViews();
  }

  /** Whether the session's file resources were written into its files (on this machine). */
  filesPlaced(sessionId: string): Promise<boolean> {
    return this.uploads.isPlaced(sessionId);
  }

  /** Notes that the session's files already hold its file resources (they came with its layers). */
  markFilesPlaced(sessionId: string): Promise<void> {
    return this.uploads.markPlaced(sessionId);
  }

    private sessionDir(sessionId: string): string {
    return join(this.root, 'sessions', sessionId);
  }

  private async environment(id: string): Promise<Environment | undefined> {
    return (await this.store.documents.get<Environment>('environment', id))?.body;
  }
}

/** Whether every directory above `path` lets other users pass through (execute bit for others). */
function traversable(path: string): boolean {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    try {
      if ((statSync(dir).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    if (dir === dirname(dir)) return true;
  }
}

/**
 * Where sandboxes' files live: `<dataDir>/sandbox`, unless sandboxes run as other uids (the
 * server is root) and cannot pass through a directory above it (a data directory in `/root`, or
 * in a private temporary directory). Then `/var/lib/longhand/sandbox/<hash of the data dir>`,
 * noted in `<dataDir>/sandbox.location`. The data directory itself is never opened up: it holds
 * the database.
 */
async function sandboxRoot(dataDir: string, separateUids: boolean, log: (message: string) => void): Promise<string> {
  const preferred = join(resolve(dataDir), 'sandbox');
  await mkdir(dataDir, { recursive: true });
  if (!separateUids || traversable(preferred)) {
    await mkdir(preferred, { recursive: true, mode: 0o711 });
    return preferred;
  }
  const digest = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16);
  const fallback = join('/var/lib/longhand/sandbox', digest);
  for (const dir of ['/var/lib/longhand', '/var/lib/longhand/sandbox', fallback]) await mkdir(dir, { recursive: true, mode: 0o711 });
  await writeFile(join(dataDir, 'sandbox.location'), `${fallback}\n`);
  log(`sandbox files go to ${fallback}: sandbox users cannot pass through a directory above ${preferred}`);
  return fallback;
}
