import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_HARNESS_CONFIG,
  DEFAULT_PRICES,
  DEFAULT_PROVIDER_TABLE,
  Harness,
  priceOf,
  ProviderRouter,
  type HarnessConfig,
  type ModelRouter,
  type PriceTable,
  type ProviderTable,
  type ToolExecutor,
} from '@longhand/harness';
import type { Lease, Store } from '@longhand/store';
import { Agents } from './agents/agents.js';
import { Branching } from './branching/branching.js';
import { Checkpoints, type FrozenWorkspace } from './branching/checkpoints.js';
import { SessionArchives } from './branching/session-archive.js';
import { lockDataDir } from './data-dir-lock.js';
import { openDatabase } from './database.js';
import { Auth } from './auth/auth.js';
import { Environments } from './environments/environments.js';
import { FsBlobStore } from './files/blob-store.js';
import { Files } from './files/files.js';
import { ObjectBlobStore } from './files/object-blob-store.js';
import { Hands, type HandsConfig } from './hands/hands.js';
import { BUILTIN_TOOL_NAMES, SandboxTools } from './hands/sandbox-tools.js';
import { WorkspaceBrowser } from './hands/workspace-browser.js';
import { NO_TOOLS } from './no-tools.js';
import { PreviewHub } from './previews.js';
import type { ObjectStore } from './objects/object-store.js';
import { openObjectStore } from './objects/open-object-store.js';
import { RoamingWorkspaces } from './roaming/roaming-workspaces.js';
import { reportingFencedAppends } from './scheduler/fenced-log.js';
import { Scheduler, type SchedulerOptions, type SessionRunner } from './scheduler/scheduler.js';
import type { Waker } from './scheduler/waker.js';
import { SessionEvents } from './sessions/events.js';
import { Sessions } from './sessions/sessions.js';

/** How often a worker looks for layer objects to delete (jittered by ±20%). */
const OBJECT_GC_INTERVAL_MS = 30 * 60_000;

export interface RuntimeConfig {
  /** Where the embedded database and file bytes live. */
  dataDir: string;
  /**
   * A PostgreSQL URL: the database many API and worker processes share. Without it the
   * embedded SQLite database in `dataDir` is used, by one server.
   */
  databaseUrl?: string | undefined;
  /** A key accepted as an admin key in every workspace (`LONGHAND_API_KEY`). */
  adminKey?: string | undefined;
  /** `api` serves requests only; `worker` runs sessions only; `all` does both. */
  role?: 'api' | 'worker' | 'all';
  /**
   * Where layers of sessions' workspaces and uploaded files' bytes live for every process to
   * reach (`s3://bucket/prefix?…`, `file:///shared/dir`, or an adapter). Without it everything
   * stays in `dataDir`, which then must be shared by every process of a multi-process deployment.
   */
  objectStore?: string | ObjectStore | undefined;
  /** Largest file upload in bytes. */
  maxFileBytes?: number;
  /** Use this store instead of opening one (tests). It is closed with the runtime. */
  store?: Store;
  /** Which provider serves which model; defaults to the Anthropic API for every model. */
  models?: ProviderTable | ModelRouter;
  /** List prices for budgets and `usage.list_cost`. */
  prices?: PriceTable;
  /** How sessions' built-in tools run: in bubblewrap sandboxes (default), unsandboxed, or not at all. */
  hands?: HandsConfig;
  /** Runs the built-in tools instead of the sandboxed toolset (tests of the harness). */
  tools?: ToolExecutor;
  /** Names of the built-in tools `tools` implements. */
  builtinTools?: readonly string[];
  harness?: Partial<HarnessConfig>;
  /** Replaces the harness as what runs sessions (tests of the scheduler). */
  runner?: (runtime: Runtime) => SessionRunner;
  /** Lease time, poll interval and sessions per process of the scheduler (see `SchedulerOptions`). */
  scheduler?: Pick<SchedulerOptions, 'leaseMs' | 'pollMs' | 'concurrency'>;
  log?: (message: string) => void;
}

/**
 * Everything Longhand does, wired once. This is the only place that picks adapters: the
 * server, the CLI and tests all go through it.
 */
export interface Runtime {
  readonly store: Store;
  readonly auth: Auth;
  readonly agents: Agents;
  readonly environments: Environments;
  readonly files: Files;
  readonly sessions: Sessions;
  readonly events: SessionEvents;
  /** Checkpoints, forks and restores. */
  readonly branching: Branching;
  /** Export and import of whole sessions. */
  readonly archives: SessionArchives;
  readonly scheduler: Scheduler | undefined;
  readonly previews: PreviewHub;
  /** Sessions' sandboxes; undefined in an API-only process or with `hands.sandbox: 'none'`. */
  readonly hands: Hands | undefined;
  /** Read-only access to sessions' files; undefined without sandboxes. */
  readonly workspaces: WorkspaceBrowser | undefined;
  readonly prices: PriceTable;
  readonly config: RuntimeConfig;
  /** Stops the scheduler (draining when asked) and closes the store. */
  close(options?: { drain?: boolean; timeoutMs?: number }): Promise<void>;
}

/** Opens the store and builds the runtime. */
export async function createRuntime(config: RuntimeConfig): Promise<Runtime> {
  const role = config.role ?? 'all';
  const embedded = !config.store && !config.databaseUrl;
  // The embedded database has one server that runs sessions: it owns the data directory, so
  // leases left behind by a process that died are stale and can be broken at once. On
  // PostgreSQL many processes share the database and leases expire normally.
  const unlock = embedded && role !== 'api' ? lockDataDir(config.dataDir) : undefined;
  let store: Store;
  try {
    store = config.store ?? (await openDatabase(config, role));
  } catch (error) {
    unlock?.();
    throw error;
  }
  if (unlock) await store.sessions.breakLeases();
  let scheduler: Scheduler | undefined;
  let collector: NodeJS.Timeout | undefined;
  // Wakes reach the scheduler once it exists; before that (and in API-only processes) the
  // wake mark in the database is enough: a worker's poll finds the session.
  const waker: Waker = { wake: (sessionId) => scheduler?.wake(sessionId) };
  const auth = new Auth(store, config.adminKey);
  const agents = new Agents(store);
  const environments = new Environments(store);
  let objects: ObjectStore | undefined;
  try {
    objects = typeof config.objectStore === 'string' ? openObjectStore(config.objectStore) : config.objectStore;
  } catch (error) {
    await store.close();
    unlock?.();
    throw error;
  }
  const blobs = objects ? new ObjectBlobStore(objects) : new FsBlobStore(join(config.dataDir, 'files'));
  const files = new Files(store, blobs, config.maxFileBytes ?? 512 * 1024 * 1024);
  const prices = config.prices ?? DEFAULT_PRICES;
  const log = config.log ?? (() => undefined);
  let hands: Hands | undefined;
  // With an object store, sessions' files follow them from worker to worker (roaming/).
  const roaming = objects
    ? new RoamingWorkspaces({ store, objects, hands: () => hands, markersDir: join(config.dataDir, 'roaming'), leaseMs: config.scheduler?.leaseMs ?? 10_000, log })
    : undefined;
  const checkpoints = new Checkpoints(store, () => hands, roaming);
  const events = new SessionEvents(store, files, waker, async (caller, id) => (await environments.find(caller, id))?.config.type);
  const sessions = new Sessions(store, agents, environments, files, events, waker, (modelId) => priceOf(prices, modelId) !== undefined, async (id) => {
    await checkpoints.deleteOf(id);
    await roaming?.forget(id);
    if (!hands) return;
    await hands.destroy(id);
    await hands.collect(await checkpoints.referencedLayers()).catch((error: unknown) => log(`garbage collection failed: ${(error as Error).message}`));
  });
  const branching = new Branching(store, sessions, files, checkpoints, () => hands, waker, roaming);
  const archives = new SessionArchives(store, files, environments, checkpoints, () => hands, tmpdir(), roaming);
  const previews = new PreviewHub(store.previews);
  if (role !== 'api' && !config.tools && !config.runner) {
    try {
      hands = await Hands.create(config.hands ?? {}, config.dataDir, store, files, log);
      if (hands && roaming) {
        hands.beforeFiles = (id, use) => (use === 'run' ? roaming.open(id) : roaming.prepareBrowse(id));
        hands.baseLayerTransport = { ship: (layers) => roaming.ship(layers), fetch: (layers) => roaming.shipping.fetchMissing(layers) };
      }
    } catch (error) {
      await store.close();
      unlock?.();
      throw error;
    }
  }
  const runtime: Runtime = {
    store,
    auth,
    agents,
    environments,
    files,
    sessions,
    events,
    branching,
    archives,
    get scheduler() {
      return scheduler;
    },
    previews,
    prices,
    hands,
    workspaces: hands ? new WorkspaceBrowser((id) => hands!.browse(id)) : undefined,
    config,
    async close(options) {
      if (collector) clearInterval(collector);
      await scheduler?.stop(options);
      await hands?.close();
      await store.close();
      unlock?.();
    },
  };
  await auth.ensureDefaultWorkspace();
  if (role !== 'api') {
    const runner = config.runner ? config.runner(runtime) : harnessRunner(runtime, config);
    scheduler = new Scheduler(store, runner, {
      ...config.scheduler,
      ...(config.log ? { log: config.log } : {}),
      // With many processes, a session's sandbox runs only where its lease is held: stopped when
      // the lease ends, so the next holder never shares a live workspace with this process.
      ...(store.dialect === 'postgres' && hands ? { onLeaseEnd: (id: string) => hands!.manager.close(id) } : {}),
      // With an object store, the lease also decides where the files are: claimed as it starts,
      // saved (frozen, uploaded, recorded under its token) as it ends.
      ...(roaming ? { onLeaseStart: (id: string, lease: Lease) => roaming.leaseStarted(id, lease), onLeaseEnd: (id: string, lease: Lease) => roaming.leaseEnding(id, lease) } : {}),
    });
    scheduler.start();
    if (roaming && hands) {
      // Layer objects nothing names any more go after a grace period; any worker may collect.
      collector = setInterval(() => {
        void roaming
          .collect(async () => new Set([...(await checkpoints.referencedLayers()), ...(await hands!.baseLayers())]))
          .then((result) => result.removed > 0 && log(`object store: deleted ${result.removed} unreferenced layer(s)`))
          .catch((error: unknown) => log(`object store garbage collection failed: ${(error as Error).message}`));
      }, OBJECT_GC_INTERVAL_MS * (0.8 + Math.random() * 0.4));
      collector.unref();
    }
  }
  return runtime;
}

function harnessRunner(runtime: Runtime, config: RuntimeConfig): SessionRunner {
  const models = config.models ?? DEFAULT_PROVIDER_TABLE;
  const harness = new Harness({
    log: reportingFencedAppends(runtime.store.events, config.log ?? (() => undefined)),
    sessions: runtime.store.sessions,
    models: 'resolve' in models ? models : new ProviderRouter(models),
    tools: config.tools ?? (runtime.hands ? new SandboxTools(runtime.hands, undefined) : NO_TOOLS),
    builtinTools: config.tools ? (config.builtinTools ?? []) : runtime.hands ? BUILTIN_TOOL_NAMES : [],
    prices: runtime.prices,
    previews: runtime.previews,
    checkpoints: {
      freeze: (sessionId) => runtime.branching.checkpoints.freeze(sessionId),
      record: async (sessionId, seq, frozen) => {
        await runtime.branching.checkpoints.record(sessionId, 'turn_end', seq, frozen as FrozenWorkspace, 'idle');
      },
    },
    config: { ...DEFAULT_HARNESS_CONFIG, ...config.harness },
    ...(config.log ? { logger: config.log } : {}),
  });
  return { run: (sessionId, lease, signal) => harness.run(sessionId, { holder: lease.holder, token: lease.token }, signal) };
}
