/**
 * The environment bases wired to the hands of this process: build sandboxes are ordinary
 * sandboxes of the same provider and storage, with an egress proxy of their own whose policy is
 * the environment's networking plus the operator's mirrors.
 */
import { readFileSync } from 'node:fs';
import { createNetworkPolicy, SANDBOX_PATHS, type OverlayWorkspaceStore, type SandboxManager } from '@longhand/sandbox';
import type { Store } from '@longhand/store';
import type { EgressProxies } from '../egress.js';
import { defaultAptSources } from './apt-install.js';
import { EnvironmentBases } from './environment-bases.js';
import { installedPackagesEnv } from './install-env.js';
import { installPlan } from './install-plan.js';
import { mirrorOrigins, type PackageMirrors } from './package-mirrors.js';

/** How environments' packages are installed (`HandsConfig.packages`). */
export interface PackagesConfig {
  /** Internal mirrors used instead of the public registries (see package-mirrors.ts). */
  mirrors?: PackageMirrors;
  /** Longest one package manager's install may take (default 20 minutes). */
  timeoutMs?: number;
  /** After a failed build, sessions get its error for this long before it is tried again (default 30 s). */
  retryAfterMs?: number;
}

/** What the wiring takes from the hands. */
export interface HandsParts {
  kind: 'bubblewrap' | 'unsandboxed';
  store: Store;
  manager: SandboxManager;
  workspaces: OverlayWorkspaceStore;
  proxies: EgressProxies;
  /** Deletes a sandbox with its proxy and files (`Hands.destroy`). */
  destroy(id: string): Promise<void>;
  log: (message: string) => void;
}

/** The home directory as sandbox `id` sees it: fixed inside bubblewrap, a host path unsandboxed. */
export function sandboxHome(parts: Pick<HandsParts, 'kind' | 'workspaces'>, id: string): string {
  return parts.kind === 'bubblewrap' ? SANDBOX_PATHS.home : parts.workspaces.viewOf(id).home;
}

/** Builds the bases of this process's hands. */
export function environmentBases(parts: HandsParts, config: PackagesConfig = {}): EnvironmentBases {
  const mirrors = config.mirrors ?? {};
  const origins = mirrorOrigins(mirrors);
  const home = (id: string) => sandboxHome(parts, id);
  return new EnvironmentBases(
    parts.store,
    {
      async start(id, policy) {
        const proxySocketPath = await parts.proxies.ensure(id, policy);
        return parts.manager.acquire(id, { proxySocketPath, env: installedPackagesEnv(home(id)) });
      },
      async freeze(id) {
        // Stopped first: a stopped sandbox's writable layer becomes a layer as it is.
        await parts.manager.close(id);
        return (await parts.workspaces.checkpoint(id)).snapshot.layers;
      },
      discard: (id) => parts.destroy(id),
      hasStorage: (id) => parts.workspaces.hasStorage(id),
      fork: (layers, id) => parts.manager.fork({ layers }, id),
      home,
    },
    {
      plan: (lists, sandboxHomeDir) => installPlan(lists, { home: sandboxHomeDir, mirrors, apt: hostAptFacts }),
      policy: (environment) =>
        createNetworkPolicy({
          networking: environment.config.type === 'cloud' ? environment.config.networking : { type: 'unrestricted' },
          operatorOrigins: origins,
        }),
      timeoutMs: config.timeoutMs ?? 20 * 60_000,
      retryAfterMs: config.retryAfterMs ?? 30_000,
      log: parts.log,
    },
  );
}

/** The host's package database and default apt sources (the sandbox's system is the host's). */
function hostAptFacts(): { status: string | undefined; defaultSources: string[] | undefined } {
  const read = (path: string): string | undefined => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  };
  const osRelease = read('/etc/os-release') ?? read('/usr/lib/os-release');
  return { status: read('/var/lib/dpkg/status'), defaultSources: osRelease ? defaultAptSources(osRelease) : undefined };
}
