import type { EventBody, SessionEvent } from '@longhand/protocol';

/** One row of a session's log. */
export interface StoredEvent {
  /** Position in the session's log: strictly increasing by one, starting at 1. */
  seq: number;
  /** The event exactly as the wire shows it. */
  event: SessionEvent;
  /**
   * Data the harness keeps beside an event and never shows on the wire, such as the summary
   * text behind an `agent.thread_context_compacted`. `null` when there is none.
   */
  internal: Record<string, unknown> | null;
  /**
   * True for the second appearance of a queued client event, written when the harness takes it
   * up (spec 4.4: the stream shows it again with `processed_at` set, under the same id). History
   * lists skip these rows; streams and the harness see them.
   */
  redelivery: boolean;
}

/** A new event for `append`. */
export interface NewEvent {
  body: EventBody;
  /** Defaults to a new `sevt_` id. */
  id?: string;
  /** `null` for a queued client event; defaults to the commit time. */
  processedAt?: string | null;
  internal?: Record<string, unknown> | null;
}

/** Marks a queued client event as taken up: sets its `processed_at` and writes its redelivery row. */
export interface ProcessedMark {
  processed: string;
}

export type EventDraft = NewEvent | ProcessedMark;

/** Proof that the writer holds the session's lease (see `SessionTable.acquireLease`). */
export interface Fence {
  holder: string;
  token: number;
}

export interface AppendOptions {
  /** When given, the append fails with `LeaseLostError` unless this lease is still current. */
  fence?: Fence;
  /** The events are input the harness must act on: the session is marked as wanting a turn. */
  wake?: boolean;
  /** The harness has acted on all input up to this seq: clears the wake mark if nothing newer came. */
  consumedThrough?: number;
}

export interface EventQuery {
  /** Exclusive lower bound on seq (ascending) or upper bound (descending). */
  afterSeq?: number;
  order?: 'asc' | 'desc';
  limit?: number;
  types?: readonly string[];
  /** Bounds on `processed_at`, as RFC 3339 strings; events not yet processed never match a bound. */
  processedAt?: { gt?: string; gte?: string; lt?: string; lte?: string };
  /** Include redelivery rows (for the harness and streams). Default false: the history view. */
  withRedeliveries?: boolean;
}

/** A live subscription; `close` stops delivery and frees its resources. */
export interface Subscription {
  close(): void;
}

export interface SubscriptionListener {
  /** Called with events in seq order, each exactly once, starting after the requested seq. */
  onEvents(events: StoredEvent[]): void;
  /** Called once when the session is deleted; no events follow. */
  onDeleted?(): void;
  /** Called when delivery failed for good (the store was closed, or a read failed). */
  onError?(error: unknown): void;
}

/**
 * The append-only log of each session: the only source of truth and the only bus between the
 * API edge and the harness.
 *
 * Guarantees: `append` returns only after the events are durable; seqs of a session are
 * contiguous; a subscriber sees every event appended after its starting seq, in order, once.
 */
export interface EventLog {
  /**
   * Appends events to a session's log atomically and durably, keeping the session row's status,
   * usage and wake mark in step with them.
   * @throws LeaseLostError when `options.fence` is no longer the session's current lease.
   * @throws LonghandError `not_found` when the session does not exist.
   */
  append(sessionId: string, drafts: readonly EventDraft[], options?: AppendOptions): Promise<StoredEvent[]>;
  /** Reads a page of the log. */
  read(sessionId: string, query?: EventQuery): Promise<StoredEvent[]>;
  /** Finds the first appearance of an event by its id. */
  findById(sessionId: string, eventId: string): Promise<StoredEvent | undefined>;
  /**
   * Events that answer the event `refId` (by `tool_use_id`, `custom_tool_use_id` or
   * `mcp_tool_use_id`), oldest first: confirmations and results of a tool use.
   */
  findByRef(sessionId: string, refId: string): Promise<StoredEvent[]>;
  /** The seq of the session's last event, 0 for an empty log. */
  headSeq(sessionId: string): Promise<number>;
  /**
   * Copies the events of `sourceId` up to `throughSeq` (ids, times and bookkeeping unchanged)
   * into the empty log of `targetId`, and brings the target's session row in step with them
   * (status, usage, seq), in one transaction: the start of a fork.
   * @throws Error when the target's log is not empty.
   */
  copyPrefix(sourceId: string, targetId: string, throughSeq: number): Promise<number>;
  /**
   * Loads events read elsewhere (an imported archive) into the empty log of `sessionId`, as they
   * were: seqs must run 1..n. The session row is brought in step as by `copyPrefix`.
   * @throws Error when the log is not empty or the seqs do not run 1..n.
   */
  load(sessionId: string, events: readonly StoredEvent[]): Promise<void>;
  /** Delivers every event with seq > `afterSeq`, now and as they are appended (redeliveries included). */
  subscribe(sessionId: string, afterSeq: number, listener: SubscriptionListener): Subscription;
}
