/**
 * A workspace-scoped, JSON-bodied resource: agents and their versions, environments, files,
 * API keys and so on. One table serves them all, told apart by `kind`, so that a new resource
 * needs no new adapter code.
 */
export interface DocumentRow<T> {
  kind: string;
  id: string;
  workspaceId: string;
  /** The owning resource, such as the agent of an agent version. */
  parentId: string | null;
  /** A number that orders children (an agent version) or guards updates (an agent's version). */
  ord: number;
  /**
   * A lookup key: unique per (kind, workspace, parent) among unarchived documents when set,
   * such as an environment's name. `null` when the kind has none.
   */
  name: string | null;
  createdAt: string;
  archivedAt: string | null;
  body: T;
}

export interface DocumentQuery {
  workspaceId: string;
  parentId?: string;
  includeArchived?: boolean;
  createdAt?: { gt?: string; gte?: string; lt?: string; lte?: string };
  order?: 'asc' | 'desc';
  /** Sort by `ord` instead of `(createdAt, id)`. */
  byOrd?: boolean;
  /** Exclusive start position in the chosen sort: `[createdAt, id]` or an `ord`. */
  after?: [string, string] | number;
  limit: number;
}

export interface DocumentUpdate<T> {
  body: T;
  ord?: number;
  name?: string | null;
  archivedAt?: string | null;
}

/** Storage for every document kind. */
export interface Documents {
  /**
   * Inserts a document.
   * @throws LonghandError `name_conflict` when an unarchived document of the kind already has the name.
   */
  insert<T>(row: DocumentRow<T>): Promise<void>;
  get<T>(kind: string, id: string): Promise<DocumentRow<T> | undefined>;
  /** Finds an unarchived document by its name within a workspace (and parent). */
  getByName<T>(kind: string, workspaceId: string, name: string, parentId?: string | null): Promise<DocumentRow<T> | undefined>;
  /** Finds documents of a kind by name in any workspace (API keys by hash). */
  findByNameAnywhere<T>(kind: string, name: string): Promise<DocumentRow<T> | undefined>;
  list<T>(kind: string, query: DocumentQuery): Promise<Array<DocumentRow<T>>>;
  /**
   * Replaces a document's body (and optionally ord, name, archivedAt).
   * Returns false when `expectOrd` is given and the stored ord differs, or the document is gone.
   */
  update<T>(kind: string, id: string, update: DocumentUpdate<T>, expectOrd?: number): Promise<boolean>;
  /** Documents of a kind in every workspace, by id, after `afterId` (housekeeping such as GC). */
  listKind<T>(kind: string, afterId: string | undefined, limit: number): Promise<Array<DocumentRow<T>>>;
  /** Deletes a document and every document whose parent it is. Returns false when it did not exist. */
  delete(kind: string, id: string): Promise<boolean>;
  /** Deletes the children of a parent of a kind. */
  deleteChildren(kind: string, parentId: string): Promise<number>;
}
