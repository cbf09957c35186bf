/**
 * Environments' base layers: an environment's `config.packages`, installed once into layers that
 * every new session of the environment starts from (a fork: constant time, shared on disk),
 * instead of once per session. See docs/decisions/2026-11-23-environment-base-layers.md.
 *
 * - A base is named by the environment and the hash of its package lists (install-plan.ts), and
 *   recorded as an `environment_base` document (child of the environment: deleting the
 *   environment deletes the record), so a restart finds it instead of building it again.
 * - It is built lazily, when a session of the environment first needs its files; concurrent
 *   sessions wait for the one build (in this process).
 * - A failed build is remembered for `retryAfterMs` (sessions asking meanwhile get the same
 *   error at once), then tried again; nothing of it is recorded.
 * - Only a session without files gets the base: a running session keeps what it has, so a change
 *   of packages reaches new sessions only (spec §3.2: "Environment updates affect new containers only").
 */
import { randomBytes } from 'node:crypto';
import { isoNow, type Environment } from '@longhand/protocol';
import type { NetworkPolicy, Sandbox } from '@longhand/sandbox';
import type { Store } from '@longhand/store';
import { BaseBuildError, runInstalls, type BuildHands } from './base-build.js';
import type { InstallCommand } from './install-command.js';
import { packageListsOf, packagesHash, type PackageLists } from './install-plan.js';

/** The document kind of recorded bases. */
export const ENVIRONMENT_BASE = 'environment_base';

/** A recorded base (the document's body). */
export interface EnvironmentBase {
  version: 1;
  environment_id: string;
  /** `packagesHash` of the lists it was built from. */
  packages_hash: string;
  /** Its layer stack, bottom first: what a new session's files are forked from. */
  layers: string[];
  built_at: string;
}

/** What the bases need of the hands beyond a build sandbox. */
export interface BaseHands extends BuildHands {
  /** Whether the session has files already (then it keeps them). */
  hasStorage(sessionId: string): boolean;
  /** Creates the session's files as `layers`. */
  fork(layers: string[], sessionId: string): Promise<void>;
  /** The home directory as sandbox `id` sees it (where installs go). */
  home(id: string): string;
}

/** Options of the bases. */
export interface EnvironmentBasesOptions {
  /** The install commands of `lists` for a sandbox whose home is `home`. */
  plan(lists: PackageLists, home: string): InstallCommand[];
  /** The build sandbox's egress policy: the environment's own, plus the operator's mirrors. */
  policy(environment: Environment): NetworkPolicy;
  /** Longest one manager's install may take. */
  timeoutMs: number;
  /** How long a failed build's error is returned before the next attempt. */
  retryAfterMs: number;
  log: (message: string) => void;
}

/**
 * Moves base layers between machines when workers do not share a disk (an object store): a
 * base's layers are shipped before it is recorded, and fetched before a session is forked from it.
 */
export interface BaseLayerTransport {
  ship(layers: readonly string[]): Promise<void>;
  fetch(layers: readonly string[]): Promise<void>;
}

/** Bases of every environment, for the sessions of this process. */
export class EnvironmentBases {
  /** Set by the runtime when layers roam between workers; unset, every base is built here. */
  transport: BaseLayerTransport | undefined;
  readonly #building = new Map<string, Promise<EnvironmentBase>>();
  readonly #failed = new Map<string, { error: Error; until: number }>();
  readonly #preparing = new Map<string, Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly hands: BaseHands,
    private readonly options: EnvironmentBasesOptions,
  ) {}

  /**
   * Gives a session that has no files yet the base of its environment's packages, building the
   * base first if it is not recorded. Does nothing for a session with files, or an environment
   * without packages. Concurrent calls for one session share one preparation.
   * @throws BaseBuildError when the packages cannot be installed (the message ends with the installer's output)
   */
  async prepare(sessionId: string, environmentId: string): Promise<void> {
    if (this.hands.hasStorage(sessionId)) return;
    let pending = this.#preparing.get(sessionId);
    if (!pending) {
      pending = this.#prepare(sessionId, environmentId).finally(() => this.#preparing.delete(sessionId));
      this.#preparing.set(sessionId, pending);
    }
    await pending;
  }

  async #prepare(sessionId: string, environmentId: string): Promise<void> {
    const row = await this.store.documents.get<Environment>('environment', environmentId);
    const base = row ? await this.baseOf(row.body, row.workspaceId) : undefined;
    if (!base || this.hands.hasStorage(sessionId)) return;
    // Built by another worker: its layers come from the object store first.
    await this.transport?.fetch(base.layers);
    try {
      await this.hands.fork(base.layers, sessionId);
    } catch (error) {
      // Files made meanwhile by another way in (a restore): the session keeps those.
      if (!this.hands.hasStorage(sessionId)) throw error;
    }
  }

  /**
   * The recorded base of the environment's current packages, built now if there is none.
   * @returns undefined when the environment has no packages
   * @throws BaseBuildError when the build fails, or failed less than `retryAfterMs` ago
   */
  async baseOf(environment: Environment, workspaceId: string): Promise<EnvironmentBase | undefined> {
    const lists = packageListsOf(environment);
    if (!lists) return undefined;
    const hash = packagesHash(lists);
    const id = baseId(environment.id, hash);
    const recorded = await this.store.documents.get<EnvironmentBase>(ENVIRONMENT_BASE, id);
    if (recorded) return recorded.body;
    const failed = this.#failed.get(id);
    if (failed && failed.until > Date.now()) throw failed.error;
    let pending = this.#building.get(id);
    if (!pending) {
      pending = this.#build(environment, workspaceId, lists, hash).then(
        (base) => {
          this.#failed.delete(id);
          return base;
        },
        (error: unknown) => {
          const failure = error instanceof BaseBuildError ? error : new BaseBuildError(`the environment's packages could not be installed: ${(error as Error).message}`, '');
          this.#failed.set(id, { error: failure, until: Date.now() + this.options.retryAfterMs });
          throw failure;
        },
      );
      pending = pending.finally(() => this.#building.delete(id));
      this.#building.set(id, pending);
    }
    return pending;
  }

  /** Layers of every recorded base: garbage collection keeps them. */
  async referencedLayers(): Promise<Set<string>> {
    const keep = new Set<string>();
    for (let after: string | undefined; ; ) {
      const rows = await this.store.documents.listKind<EnvironmentBase>(ENVIRONMENT_BASE, after, 500);
      for (const row of rows) for (const layer of row.body.layers) keep.add(layer);
      if (rows.length < 500) return keep;
      after = rows[rows.length - 1]!.id;
    }
  }

  async #build(environment: Environment, workspaceId: string, lists: PackageLists, hash: string): Promise<EnvironmentBase> {
    const sandboxId = `pkgbase-${hash.slice(0, 16)}-${randomBytes(4).toString('hex')}`;
    const started = Date.now();
    this.options.log(`environment ${environment.id}: installing its packages into a base layer (${summary(lists)})`);
    try {
      const commands = this.options.plan(lists, this.hands.home(sandboxId));
      const sandbox: Sandbox = await this.hands.start(sandboxId, this.options.policy(environment));
      await runInstalls(sandbox, commands, { timeoutMs: this.options.timeoutMs, log: (message) => this.options.log(`environment ${environment.id}: ${message}`) });
      const layers = await this.hands.freeze(sandboxId);
      // Shipped before recorded: a recorded base never names a layer other workers cannot fetch.
      await this.transport?.ship(layers);
      const base: EnvironmentBase = { version: 1, environment_id: environment.id, packages_hash: hash, layers, built_at: isoNow() };
      const recorded = await this.#record(base, workspaceId);
      this.options.log(`environment ${environment.id}: base layer built in ${Date.now() - started} ms`);
      return recorded;
    } catch (error) {
      this.options.log(`environment ${environment.id}: installing its packages failed: ${(error as Error).message}`);
      throw error;
    } finally {
      // After recording: until then the build's own storage is what keeps its layers from GC.
      await this.hands.discard(sandboxId).catch((error: unknown) => this.options.log(`could not delete build sandbox ${sandboxId}: ${(error as Error).message}`));
    }
  }

  /**
   * Records `base`, and forgets the environment's bases of packages it no longer has (sessions
   * standing on them keep their layers). A build that finished after an update keeps the
   * current packages' base.
   */
  async #record(base: EnvironmentBase, workspaceId: string): Promise<EnvironmentBase> {
    const id = baseId(base.environment_id, base.packages_hash);
    const current = await this.store.documents.get<Environment>('environment', base.environment_id);
    const lists = packageListsOf(current?.body);
    const wanted = new Set([id, ...(lists ? [baseId(base.environment_id, packagesHash(lists))] : [])]);
    const older = await this.store.documents.list<EnvironmentBase>(ENVIRONMENT_BASE, { workspaceId, parentId: base.environment_id, includeArchived: true, limit: 100 });
    for (const row of older) if (!wanted.has(row.id)) await this.store.documents.delete(ENVIRONMENT_BASE, row.id);
    try {
      await this.store.documents.insert<EnvironmentBase>({
        kind: ENVIRONMENT_BASE,
        id,
        workspaceId,
        parentId: base.environment_id,
        ord: 0,
        name: null,
        createdAt: base.built_at,
        archivedAt: null,
        body: base,
      });
      return base;
    } catch (error) {
      // Another process recorded the same base first: its layers are as good, and recorded.
      const other = await this.store.documents.get<EnvironmentBase>(ENVIRONMENT_BASE, id);
      if (other) return other.body;
      throw error;
    }
  }
}

/** The document id of a base: the environment and (a prefix of) its packages' hash. */
export function baseId(environmentId: string, hash: string): string {
  return `${environmentId}.${hash.slice(0, 32)}`;
}

function summary(lists: PackageLists): string {
  return Object.entries(lists)
    .map(([manager, names]) => `${manager}: ${names.join(' ')}`)
    .join('; ');
}
