import pg from 'pg';
import type { SqlExecutor } from '../sql/driver.js';
import type { TailHub } from '../tail-hub.js';

/** The channel the shared SQL notifies on (see `sql-event-log.ts` and `sql-sessions.ts`). */
export const EVENTS_CHANNEL = 'longhand_events';

/** What the listener needs of the store's tail hub. */
export type TailSignals = Pick<TailHub, 'signal' | 'deleted' | 'sessionIds'>;

export interface PostgresListenerOptions {
  /** How often the sessions with subscribers are checked even without a notification. Default 5 s. */
  pollIntervalMs?: number;
  /** First delay before reconnecting a dropped connection; it doubles up to `maxBackoffMs`. Default 100 ms. */
  minBackoffMs?: number;
  /** Longest delay between reconnection attempts. Default 5 s. */
  maxBackoffMs?: number;
  /** Told about each failure of the connection or of a poll; the listener carries on. Default: a warning. */
  onError?: (error: unknown) => void;
}

/**
 * Carries other processes' appends and deletions to this store's subscribers: one connection
 * LISTENs on `longhand_events`, whose payloads are `"<sessionId> <lastSeq>"` or
 * `"<sessionId> deleted"`. A notification only says "look": the hub reads the events themselves
 * by seq, so a duplicate (this process's own appends) or a late one does no harm.
 *
 * Notifications sent while the connection is down are lost, so after every reconnect, and at a
 * low rate all the time, the sessions with subscribers are checked against the sessions table.
 */
export class PostgresListener {
  private client: pg.Client | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private connecting: Promise<void> | undefined;
  private backoffMs: number;
  private closed = false;
  private readonly pollIntervalMs: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly onError: (error: unknown) => void;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly hub: TailSignals,
    private readonly db: SqlExecutor,
    options: PostgresListenerOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 5000;
    this.minBackoffMs = options.minBackoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
    this.backoffMs = this.minBackoffMs;
    this.onError = options.onError ?? ((error) => console.warn(`longhand store: PostgreSQL listener: ${String(error)}`));
  }

  /** Connects and starts listening; rejects when the first connection cannot be made. */
  async start(): Promise<void> {
    await this.connect();
    this.pollTimer = setInterval(() => void this.poll(), this.pollIntervalMs);
    this.pollTimer.unref();
  }

  /** Stops listening and polling and closes the connection. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pollTimer);
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
    await this.polling;
  }

  private connect(): Promise<void> {
    this.connecting = this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<void> {
    const client = new pg.Client(this.config);
    client.on('error', (error) => this.dropped(client, error));
    client.on('end', () => this.dropped(client, new Error('the listening connection ended')));
    client.on('notification', (message) => {
      if (message.channel === EVENTS_CHANNEL && message.payload) this.deliver(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    // Only a listening connection counts: failures before this point are the caller's to handle.
    this.client = client;
    this.backoffMs = this.minBackoffMs;
  }

  private deliver(payload: string): void {
    const space = payload.lastIndexOf(' ');
    if (space <= 0) return;
    const sessionId = payload.slice(0, space);
    const what = payload.slice(space + 1);
    if (what === 'deleted') this.hub.deleted(sessionId);
    else {
      const lastSeq = Number(what);
      if (Number.isSafeInteger(lastSeq)) this.hub.signal(sessionId, lastSeq);
    }
  }

  /** The connection failed or ended: report it once and reconnect after a backoff. */
  private dropped(client: pg.Client, error: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.onError(error);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== undefined) return;
    // Jitter keeps many processes that lost the server together from returning in lockstep.
    const delay = this.backoffMs * (0.5 + Math.random() / 2);
    this.backoffMs = Math.min(this.maxBackoffMs, this.backoffMs * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect().then(
        // Whatever was appended while the connection was down went unannounced: look now.
        () => this.poll(),
        (error: unknown) => {
          if (this.closed) return;
          this.onError(error);
          this.scheduleReconnect();
        },
      );
    }, delay);
    this.reconnectTimer.unref();
  }

  /** Compares each watched session's head with the table, and reports the sessions that are gone. */
  private poll(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.polling ??= this.checkWatched().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async checkWatched(): Promise<void> {
    const watched = this.hub.sessionIds();
    if (watched.length === 0) return;
    try {
      const rows = await this.db.all<{ id: string; last_seq: number }>(
        `SELECT id, last_seq FROM sessions WHERE id = ANY(CAST(? AS TEXT[]))`,
        [watched],
      );
      if (this.closed) return;
      const heads = new Map(rows.map((row) => [row.id, Number(row.last_seq)]));
      for (const sessionId of watched) {
        const head = heads.get(sessionId);
        if (head === undefined) this.hub.deleted(sessionId);
        else this.hub.signal(sessionId, head);
      }
    } catch (error) {
      if (!this.closed) this.onError(error);
    }
  }
}
