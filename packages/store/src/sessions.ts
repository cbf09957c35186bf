import type { Session, SessionStatus, SessionUsage } from '@longhand/protocol';
import type { Fence } from './event-log.js';

/** A session as stored: the wire object plus what only the runtime needs. */
export interface SessionRecord {
  workspaceId: string;
  session: Session;
  /** Seq of the last event in the session's log. */
  lastSeq: number;
  /** Seq of the newest input the harness has not acted on; 0 when there is none. */
  wakeSeq: number;
  /** The session this one was forked from, if any. */
  parentSessionId: string | null;
}

export interface SessionQuery {
  workspaceId: string;
  order: 'asc' | 'desc';
  limit: number;
  /** Exclusive start position `[created_at, id]` in the walking direction. */
  after?: [string, string];
  /** Walk against `order` (for a previous page); results still come back in `order`. */
  backwards?: boolean;
  agentId?: string;
  agentVersion?: number;
  deploymentId?: string;
  memoryStoreId?: string;
  statuses?: readonly SessionStatus[];
  includeArchived?: boolean;
  createdAt?: { gt?: string; gte?: string; lt?: string; lte?: string };
}

/** The fields of a session that change after creation. */
export interface SessionChanges {
  title?: string | null;
  metadata?: Record<string, string>;
  agent?: Session['agent'];
  budget?: Session['budget'];
  resources?: Session['resources'];
  outcomeEvaluations?: Session['outcome_evaluations'];
  archivedAt?: string | null;
  status?: SessionStatus;
  usage?: SessionUsage;
}

/** A lease granted on a session: whoever holds the current token may append as the harness. */
export interface Lease extends Fence {
  sessionId: string;
  expiresAt: number;
}

/** The sessions table. */
export interface SessionTable {
  create(workspaceId: string, session: Session, options?: { parentSessionId?: string | null }): Promise<void>;
  get(sessionId: string): Promise<SessionRecord | undefined>;
  list(query: SessionQuery): Promise<SessionRecord[]>;
  /** Applies changes and bumps `updated_at`; returns the new record, or undefined when gone. */
  update(sessionId: string, changes: SessionChanges): Promise<SessionRecord | undefined>;
  /** Deletes the session and its whole log. Returns false when it did not exist. */
  delete(sessionId: string): Promise<boolean>;
  /**
   * Grants `holder` the session's lease for `ttlMs` when it is free, expired, or already the
   * holder's. Every grant to a new holder increments the fencing token.
   */
  acquireLease(sessionId: string, holder: string, ttlMs: number): Promise<Lease | undefined>;
  /** Extends a lease the holder still has; undefined when it was lost. */
  renewLease(lease: Fence & { sessionId: string }, ttlMs: number): Promise<Lease | undefined>;
  /**
   * Gives a lease back so another process may take the session at once. Returns the session's
   * wake mark as the release left it: 0 when no input waits (or the lease was no longer held).
   * With `handoff`, other processes sharing the database are woken when input waits, so that a
   * process shutting down hands its unfinished sessions on without waiting for anyone's poll.
   */
  releaseLease(lease: Fence & { sessionId: string }, options?: { handoff?: boolean }): Promise<number>;
  /**
   * Frees every lease. Only for a process that knows it is the database's only writer (the
   * embedded server, which holds a lock on its data directory): leases left by a process that
   * died are then stale, and the sessions can go on at once.
   */
  breakLeases(): Promise<number>;
  /** Sessions with input waiting whose lease is free or expired, oldest wake first. */
  listRunnable(limit: number): Promise<string[]>;
}
