/**
 * Checkpoints and forks of sandboxes' files: the contract between the runtime (which records
 * checkpoints beside the event log and decides when to take them) and the workspace storage
 * (which freezes and stacks layers). See docs/decisions/2026-11-23-layered-workspaces.md.
 */

/** An immutable, frozen state of a sandbox's files: a stack of layers, bottom first. */
export interface Snapshot {
  /** Layer ids, bottom (the environment's base layer, if any) to top. Layers never change. */
  layers: string[];
}

export interface CheckpointResult {
  snapshot: Snapshot;
  /** Bytes of new layer data this checkpoint stored (what it cost on disk). */
  addedBytes: number;
}

export interface LayerInfo {
  id: string;
  /** Bytes the layer's files take (its own, not the layers below). */
  bytes: number;
}

/**
 * Workspace storage that can checkpoint, fork and restore. Implemented by the layered store
 * (overlayfs where the host allows it, a copy-based method elsewhere).
 */
export interface SnapshotStore {
  /**
   * Freezes the sandbox's current files into a snapshot. When the sandbox is running, the caller
   * passes `quiesce`, which stops every process of the sandbox for the duration of the callback
   * (cgroup freezer), so the snapshot is taken between writes, never in the middle of one.
   */
  checkpoint(id: string, quiesce?: <T>(work: () => Promise<T>) => Promise<T>): Promise<CheckpointResult>;
  /** Creates storage for sandbox `newId` whose files start as `snapshot` (the new sandbox writes on top). */
  fork(snapshot: Snapshot, newId: string): Promise<void>;
  /** Replaces the files of a stopped sandbox with `snapshot` (its current writable files are dropped). */
  restore(id: string, snapshot: Snapshot): Promise<void>;
  /** The snapshot a sandbox's storage currently stands on (its frozen layers), for bookkeeping. */
  layersOf(id: string): Promise<string[]>;
  /** Deletes every layer not in `keep`. Never deletes a layer a live sandbox's storage stands on. */
  collect(keep: ReadonlySet<string>): Promise<{ removedLayers: number; freedBytes: number }>;
  layerInfo(id: string): Promise<LayerInfo | undefined>;
  /** A layer as a tar stream (for export and object storage). */
  exportLayer(id: string): Promise<NodeJS.ReadableStream>;
  /**
   * Imports a layer from a tar stream, validating every entry (no absolute paths, no `..`, no
   * links leading out, no devices but overlay whiteouts). Returns its id.
   * @throws SandboxError `invalid_archive` and keeps nothing when any entry is bad.
   */
  importLayer(id: string, tar: NodeJS.ReadableStream): Promise<LayerInfo>;
}
