import { isoNow, newId, notFound, type EventBody, type SessionEvent } from '@longhand/protocol';
import { LeaseLostError, StoreClosedError } from '../errors.js';
import type {
  AppendOptions,
  EventDraft,
  EventLog,
  EventQuery,
  NewEvent,
  StoredEvent,
  Subscription,
  SubscriptionListener,
} from '../event-log.js';
import { TailHub } from '../tail-hub.js';
import { CHANNELS, wakePayload } from './channels.js';
import type { SqlDriver, SqlExecutor } from './driver.js';
import { applyProjections } from './projections.js';

interface EventRow {
  seq: number | string;
  id: string;
  type: string;
  processed_at: string | null;
  redelivery: number;
  body: string;
  internal: string | null;
}

interface PendingAppend {
  sessionId: string;
  drafts: readonly EventDraft[];
  options: AppendOptions;
  resolve: (events: StoredEvent[]) => void;
  reject: (error: unknown) => void;
}

/** How a store wires its event log. */
export interface SqlEventLogOptions {
  /** The store's identity in wake signals, so that it can ignore its own. */
  origin: string;
  /**
   * Called as an append is queued, before it is written: the PostgreSQL store sends the session's
   * pending previews then, so that they reach other processes ahead of the events they preview.
   * When it returns a promise, the append (and every append after it) is written once it settles.
   */
  beforeAppend?: (sessionId: string) => Promise<void> | undefined;
}

const COLUMNS = 'seq, id, type, processed_at, redelivery, body, internal';
const MAX_BATCH = 256;
/** Rows of one INSERT: 9 parameters each stays far below SQLite's and PostgreSQL's parameter limits. */
const ROWS_PER_INSERT = 100;

/** The id of the event an event answers (a tool use), indexed so answers are found fast. */
function refOf(body: EventBody): string | null {
  const b = body as { tool_use_id?: string; custom_tool_use_id?: string; mcp_tool_use_id?: string };
  return b.tool_use_id ?? b.custom_tool_use_id ?? b.mcp_tool_use_id ?? null;
}

/** Turns a row into the wire event plus its bookkeeping. */
export function rowToEvent(row: EventRow): StoredEvent {
  const body = JSON.parse(row.body) as EventBody;
  const event = { id: row.id, ...body, processed_at: row.processed_at } as SessionEvent;
  return {
    seq: Number(row.seq),
    event,
    internal: row.internal === null ? null : (JSON.parse(row.internal) as Record<string, unknown>),
    redelivery: Number(row.redelivery) === 1,
  };
}

/**
 * The event log over SQL. Appends are group-committed: while one batch transaction is being
 * written, new appends queue up and go together in the next one, each inside its own savepoint
 * so one failing append (a lost lease) never takes others down with it.
 */
export class SqlEventLog implements EventLog {
  readonly hub: TailHub;
  private queue: PendingAppend[] = [];
  private flushing = false;
  private closed = false;
  /** Appends waiting for their `beforeAppend` to settle, and the chain they wait on. */
  private held = 0;
  private holding: Promise<void> = Promise.resolve();

  constructor(
    private readonly driver: SqlDriver,
    private readonly options: SqlEventLogOptions,
  ) {
    this.hub = new TailHub((sessionId, afterSeq, limit) =>
      this.read(sessionId, { afterSeq, limit, withRedeliveries: true }),
    );
  }

  append(sessionId: string, drafts: readonly EventDraft[], options: AppendOptions = {}): Promise<StoredEvent[]> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    const before = this.options.beforeAppend?.(sessionId);
    return new Promise((resolve, reject) => {
      const pending = { sessionId, drafts, options, resolve, reject };
      if (!before && this.held === 0) return this.enqueue(pending);
      // Held until `before` settles; appends made meanwhile wait behind it, in order.
      this.held += 1;
      this.holding = this.holding
        .then(() => before)
        .catch(() => undefined)
        .then(() => {
          this.held -= 1;
          if (this.closed) pending.reject(new StoreClosedError());
          else this.enqueue(pending);
        });
    });
  }

  private enqueue(pending: PendingAppend): void {
    this.queue.push(pending);
    if (!this.flushing) void this.flush();
  }

  async read(sessionId: string, query: EventQuery = {}): Promise<StoredEvent[]> {
    const order = query.order ?? 'asc';
    const where = ['session_id = ?'];
    const params: unknown[] = [sessionId];
    if (!query.withRedeliveries) where.push('redelivery = 0');
    if (query.afterSeq !== undefined) {
      where.push(order === 'asc' ? 'seq > ?' : 'seq < ?');
      params.push(query.afterSeq);
    }
    if (query.types && query.types.length > 0) {
      where.push(`type IN (${query.types.map(() => '?').join(', ')})`);
      params.push(...query.types);
    }
    const bounds = query.processedAt ?? {};
    for (const [key, op] of [['gt', '>'], ['gte', '>='], ['lt', '<'], ['lte', '<=']] as const) {
      const value = bounds[key];
      if (value !== undefined) {
        where.push(`processed_at IS NOT NULL AND processed_at ${op} ?`);
        params.push(value);
      }
    }
    params.push(query.limit ?? 1000);
    const rows = await this.driver.all<EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE ${where.join(' AND ')} ORDER BY seq ${order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`,
      params,
    );
    return rows.map(rowToEvent);
  }

  async findById(sessionId: string, eventId: string): Promise<StoredEvent | undefined> {
    const rows = await this.driver.all<EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE session_id = ? AND id = ? AND redelivery = 0 LIMIT 1`,
      [sessionId, eventId],
    );
    return rows[0] ? rowToEvent(rows[0]) : undefined;
  }

  async findByRef(sessionId: string, refId: string): Promise<StoredEvent[]> {
    const rows = await this.driver.all<EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE session_id = ? AND ref_id = ? AND redelivery = 0 ORDER BY seq ASC`,
      [sessionId, refId],
    );
    return rows.map(rowToEvent);
  }

  async headSeq(sessionId: string): Promise<number> {
    const rows = await this.driver.all<{ last_seq: number | string }>(`SELECT last_seq FROM sessions WHERE id = ?`, [sessionId]);
    return rows[0] ? Number(rows[0].last_seq) : 0;
  }

  async copyPrefix(sourceId: string, targetId: string, throughSeq: number): Promise<number> {
    return this.driver.transaction(async (tx) => {
      const target = await tx.all<{ last_seq: number | string }>(`SELECT last_seq FROM sessions WHERE id = ?`, [targetId]);
      if (!target[0]) throw notFound('session', targetId);
      if (Number(target[0].last_seq) !== 0) throw new Error(`cannot copy events into session ${targetId}: its log is not empty`);
      const copied = await tx.run(
        `INSERT INTO events (session_id, ${COLUMNS}, ref_id)
         SELECT ?, ${COLUMNS}, ref_id FROM events WHERE session_id = ? AND seq <= ? ORDER BY seq`,
        [targetId, sourceId, throughSeq],
      );
      await tx.run(`UPDATE sessions SET last_seq = ? WHERE id = ?`, [copied, targetId]);
      const rows = await tx.all<EventRow>(
        `SELECT ${COLUMNS} FROM events WHERE session_id = ? AND redelivery = 0 AND type IN (?, ?, ?, ?, ?) ORDER BY seq`,
        [targetId, 'session.status_running', 'session.status_idle', 'session.status_rescheduled', 'session.status_terminated', 'session.usage'],
      );
      await applyProjections(tx, targetId, rows.map(rowToEvent), { status: 'idle', runningSince: null });
      return copied;
    });
  }

  async load(sessionId: string, events: readonly StoredEvent[]): Promise<void> {
    events.forEach((stored, index) => {
      if (stored.seq !== index + 1) throw new Error(`cannot load events: seq ${stored.seq} where ${index + 1} was expected`);
    });
    await this.driver.transaction(async (tx) => {
      const target = await tx.all<{ last_seq: number | string }>(`SELECT last_seq FROM sessions WHERE id = ?`, [sessionId]);
      if (!target[0]) throw notFound('session', sessionId);
      if (Number(target[0].last_seq) !== 0) throw new Error(`cannot load events into session ${sessionId}: its log is not empty`);
      for (const stored of events) {
        const { id, processed_at: processedAt, ...body } = stored.event;
        await tx.run(`INSERT INTO events (session_id, ${COLUMNS}, ref_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
          sessionId,
          stored.seq,
          id,
          stored.event.type,
          processedAt,
          stored.redelivery ? 1 : 0,
          JSON.stringify(body),
          stored.internal === null ? null : JSON.stringify(stored.internal),
          stored.redelivery ? null : refOf(body as EventBody),
        ]);
      }
      await tx.run(`UPDATE sessions SET last_seq = ? WHERE id = ?`, [events.length, sessionId]);
      await applyProjections(tx, sessionId, events.filter((e) => !e.redelivery), { status: 'idle', runningSince: null });
    });
  }

  subscribe(sessionId: string, afterSeq: number, listener: SubscriptionListener): Subscription {
    if (this.closed) {
      queueMicrotask(() => listener.onError?.(new StoreClosedError()));
      return { close: () => undefined };
    }
    return this.hub.subscribe(sessionId, afterSeq, listener);
  }

  /** Fails every pending append and ends every subscription. */
  close(): void {
    this.closed = true;
    const error = new StoreClosedError();
    for (const pending of this.queue.splice(0)) pending.reject(error);
    this.hub.closeAll(error);
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        // A stable sort keeps each session's appends in order and takes row locks in one global
        // order, so that two processes batching the same sessions cannot deadlock.
        const ordered = batch.map((pending, index) => ({ pending, index }));
        ordered.sort((a, b) => (a.pending.sessionId < b.pending.sessionId ? -1 : a.pending.sessionId > b.pending.sessionId ? 1 : a.index - b.index));
        const outcomes = new Map<PendingAppend, { events?: StoredEvent[]; error?: unknown }>();
        try {
          await this.driver.transaction(async (tx) => {
            // One append needs no savepoint: if it fails, the whole transaction rolls back.
            if (ordered.length === 1) {
              const { pending } = ordered[0]!;
              outcomes.set(pending, { events: await this.appendInTransaction(tx, pending) });
              return;
            }
            let savepoint = 0;
            for (const { pending } of ordered) {
              const name = `append_${(savepoint += 1)}`;
              await tx.run(`SAVEPOINT ${name}`);
              try {
                const events = await this.appendInTransaction(tx, pending);
                await tx.run(`RELEASE SAVEPOINT ${name}`);
                outcomes.set(pending, { events });
              } catch (error) {
                await tx.run(`ROLLBACK TO SAVEPOINT ${name}`);
                await tx.run(`RELEASE SAVEPOINT ${name}`);
                outcomes.set(pending, { error });
              }
            }
          });
        } catch (error) {
          for (const pending of batch) pending.reject(error);
          continue;
        }
        for (const pending of batch) {
          const outcome = outcomes.get(pending)!;
          if (outcome.error !== undefined) pending.reject(outcome.error);
          else {
            const events = outcome.events!;
            if (events.length > 0) {
              this.hub.committed(pending.sessionId, events);
            }
            pending.resolve(events);
          }
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async appendInTransaction(tx: SqlExecutor, pending: PendingAppend): Promise<StoredEvent[]> {
    const { sessionId, options } = pending;
    const now = isoNow();
    const drafts: Array<NewEvent & { redeliveryOf?: EventRow }> = [];
    if (pending.drafts.some((draft) => 'processed' in draft)) {
      // Lock the session row before reading the marked events: two processes marking the same
      // event at once then take turns, and the second sees it processed instead of redelivering it twice.
      await tx.run(`UPDATE sessions SET last_seq = last_seq WHERE id = ?`, [sessionId]);
    }
    for (const draft of pending.drafts) {
      if ('processed' in draft) {
        const original = (
          await tx.all<EventRow>(`SELECT ${COLUMNS} FROM events WHERE session_id = ? AND id = ? AND redelivery = 0`, [
            sessionId,
            draft.processed,
          ])
        )[0];
        if (!original) throw new Error(`cannot mark unknown event ${draft.processed} of session ${sessionId} as processed`);
        if (original.processed_at !== null) continue;
        drafts.push({ body: JSON.parse(original.body) as EventBody, id: original.id, redeliveryOf: original });
      } else drafts.push(draft);
    }
    if (drafts.length === 0 && options.consumedThrough === undefined) return [];

    const sets = ['last_seq = last_seq + ?', 'updated_at = ?'];
    const params: unknown[] = [drafts.length, now];
    if (options.wake && drafts.length > 0) {
      sets.push('wake_seq = last_seq + ?');
      params.push(drafts.length);
    } else if (options.consumedThrough !== undefined) {
      sets.push('wake_seq = CASE WHEN wake_seq <= ? THEN 0 ELSE wake_seq END');
      params.push(options.consumedThrough);
    }
    let where = 'id = ?';
    params.push(sessionId);
    if (options.fence) {
      where += ` AND lease_holder = ? AND lease_token = ? AND lease_expires_at > ${this.driver.nowMillisSql}`;
      params.push(options.fence.holder, options.fence.token);
    }
    const bumped = await tx.all<{ last_seq: number | string; status: string; running_since: number | string | null }>(
      `UPDATE sessions SET ${sets.join(', ')} WHERE ${where} RETURNING last_seq, status, running_since`,
      params,
    );
    if (bumped.length === 0) {
      const exists = await tx.all(`SELECT 1 AS present FROM sessions WHERE id = ?`, [sessionId]);
      if (exists.length === 0) throw notFound('session', sessionId);
      throw new LeaseLostError(sessionId);
    }
    const lastSeq = Number(bumped[0]!.last_seq);
    let seq = lastSeq - drafts.length;
    const rows: Array<{ row: EventRow; ref: string | null }> = [];
    for (const draft of drafts) {
      seq += 1;
      const internal = draft.internal ?? null;
      rows.push({
        row: {
          seq,
          id: draft.id ?? newId('event'),
          type: draft.body.type,
          processed_at: draft.redeliveryOf ? now : draft.processedAt === undefined ? now : draft.processedAt,
          redelivery: draft.redeliveryOf ? 1 : 0,
          body: JSON.stringify(draft.body),
          internal: internal === null ? null : JSON.stringify(internal),
        },
        ref: draft.redeliveryOf ? null : refOf(draft.body),
      });
    }
    // Many rows a statement: each statement is a round trip to the database, inside the one
    // transaction every other append of the batch waits for.
    for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
      const chunk = rows.slice(start, start + ROWS_PER_INSERT);
      await tx.run(
        `INSERT INTO events (session_id, ${COLUMNS}, ref_id) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        chunk.flatMap(({ row, ref }) => [sessionId, row.seq, row.id, row.type, row.processed_at, row.redelivery, row.body, row.internal, ref]),
      );
    }
    const marked = drafts.flatMap((draft) => (draft.redeliveryOf ? [draft.redeliveryOf.seq] : []));
    if (marked.length > 0) {
      await tx.run(`UPDATE events SET processed_at = ? WHERE session_id = ? AND seq IN (${marked.map(() => '?').join(', ')})`, [now, sessionId, ...marked]);
    }
    const stored = rows.map(({ row }) => rowToEvent(row));
    const session = bumped[0]!;
    await applyProjections(tx, sessionId, stored, {
      status: session.status,
      runningSince: session.running_since === null ? null : Number(session.running_since),
    });
    if (this.driver.notifySql && stored.length > 0) {
      const notes: Array<[string, string]> = [[CHANNELS.events, `${sessionId} ${lastSeq}`]];
      // Delivered with the commit, like the append itself: a worker that hears it finds the wake mark.
      if (options.wake) notes.push([CHANNELS.wakes, wakePayload(this.options.origin, sessionId)]);
      const notify = this.driver.notifySql(notes);
      await tx.run(notify.sql, notify.params);
    }
    return stored;
  }
}
