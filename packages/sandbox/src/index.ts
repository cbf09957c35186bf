export { SandboxError } from './sandbox.js';
export type { Sandbox, ExecOptions, ShellResult, ProcessResult, FileInfo, SandboxErrorCode } from './sandbox.js';

export type { SandboxProvider, ProvidedSandbox, SandboxSpec, SandboxLimits } from './provider.js';
export { SandboxManager } from './manager.js';
export type { SandboxManagerOptions } from './manager.js';
export { probeHost, describeProbe, requireBubblewrap, requirePerl, BWRAP_INSTALL_COMMAND, PERL_INSTALL_COMMAND } from './probe.js';
export type { HostProbe } from './probe.js';
export { buildSandboxEnv } from './sandbox-env.js';
export type { CallDefaults } from './supervised-sandbox.js';

export { createBubblewrapProvider, BubblewrapProvider, DEFAULT_LIMITS, DEFAULT_UID_RANGE, isSnapshotStore } from './bubblewrap/bwrap-provider.js';
export { SANDBOX_PATHS } from './bubblewrap/bwrap-args.js';
export type { BubblewrapProviderOptions } from './bubblewrap/bwrap-provider.js';
export { LocalProvider } from './local/local-provider.js';
export type { LocalProviderOptions } from './local/local-provider.js';

export { DirWorkspaceStore } from './workspace/dir-workspace-store.js';
export type { DirWorkspaceStoreOptions } from './workspace/dir-workspace-store.js';
export { OverlayWorkspaceStore } from './workspace/overlay-workspace-store.js';
export type { OverlayWorkspaceStoreOptions } from './workspace/overlay-workspace-store.js';
export type { SnapshotStore, Snapshot, CheckpointResult, LayerInfo } from './workspace/snapshots.js';
export type { WorkspaceStore, WorkspaceRecord, WorkspaceMount } from './workspace/workspace-store.js';
export type { UidRange } from './workspace/uid-claims.js';

export { startEgressProxy, createNetworkPolicy, guardedFetch, EgressError, PACKAGE_REGISTRY_HOSTS, systemResolver } from './network/index.js';
export type {
  EgressProxy,
  EgressProxyOptions,
  EgressLogEntry,
  NetworkPolicy,
  NetworkPolicyOptions,
  NetworkingConfig,
  OperatorOrigin,
  EgressDecision,
  GuardedFetchOptions,
  GuardedFetchResponse,
  Resolver,
  EgressErrorCode,
} from './network/index.js';
