import pg from 'pg';
import { CHANNELS } from '../sql/channels.js';
import type { SqlExecutor } from '../sql/driver.js';
import type { TailHub } from '../tail-hub.js';

/** The channel appends and deletions are announced on (kept for callers of the old name). */
export const EVENTS_CHANNEL = CHANNELS.events;

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

type Handler = (payload: string) => void;

/**
 * The one connection of a store that LISTENs: it carries other processes' appends and deletions
 * to the store's subscribers (`longhand_events`, payloads `"<sessionId> <lastSeq>"` or
 * `"<sessionId> deleted"`), and whatever other channels the store asks for (wakes, previews).
 * An events notification only says "look": the hub reads the events themselves by seq, so a
 * duplicate (this process's own appends) or a late one does no harm.
 *
 * Notifications sent while the connection is down are lost, so after every reconnect, and at a
 * low rate all the time, the sessions with subscribers are checked against the sessions table.
 * The same connection also sends the store's previews (`notify`): one connection sends them in
 * order, and it keeps them off the pool that appends use.
 */
export class PostgresListener {
  private client: pg.Client | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private connecting: Promise<void> | undefined;
  private backoffMs: number;
  private closed = false;
  private hub: TailSignals | undefined;
  private readonly handlers = new Map<string, Handler>();
  private readonly pollIntervalMs: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly onError: (error: unknown) => void;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly db: SqlExecutor,
    options: PostgresListenerOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 5000;
    this.minBackoffMs = options.minBackoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
    this.backoffMs = this.minBackoffMs;
    this.onError = options.onError ?? ((error) => console.warn(`longhand store: PostgreSQL listener: ${String(error)}`));
  }

  /** Delivers appends and deletions to `hub`'s subscribers. Call before `start`. */
  watchTails(hub: TailSignals): void {
    this.hub = hub;
    this.handlers.set(CHANNELS.events, (payload) => this.deliver(payload));
  }

  /** Connects and starts listening; rejects when the first connection cannot be made. */
  async start(): Promise<void> {
    await this.connect();
    this.pollTimer = setInterval(() => void this.poll(), this.pollIntervalMs);
    this.pollTimer.unref();
  }

  /**
   * Calls `handler` with the payload of every notification on `channel` from now on (and after
   * reconnects). Resolves once the connection listens, or at once while it is down (it listens
   * when it is back).
   */
  async listen(channel: string, handler: Handler): Promise<void> {
    this.handlers.set(channel, handler);
    await this.connecting?.catch(() => undefined);
    // LISTEN twice is harmless, so there is no race with a connection that just opened.
    await this.client?.query(`LISTEN ${quoteChannel(channel)}`).catch((error: unknown) => this.onError(error));
  }

  /**
   * Sends each payload as a notification on `channel`, in order, in one statement (so one
   * transaction: PostgreSQL delivers them together and in this order).
   * @throws Error when the connection is down; the caller decides whether to drop or retry.
   */
  async notify(channel: string, payloads: readonly string[]): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('the listening connection is down');
    if (payloads.length === 0) return;
    await client.query(`SELECT pg_notify($1, payload) FROM unnest($2::text[]) WITH ORDINALITY AS p(payload, n) ORDER BY n`, [
      channel,
      payloads,
    ]);
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
      if (message.payload === undefined) return;
      try {
        this.handlers.get(message.channel)?.(message.payload);
      } catch (error) {
        this.onError(error);
      }
    });
    try {
      await client.connect();
      for (const channel of this.handlers.keys()) await client.query(`LISTEN ${quoteChannel(channel)}`);
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
    if (space <= 0 || !this.hub) return;
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
    const hub = this.hub;
    const watched = hub?.sessionIds() ?? [];
    if (!hub || watched.length === 0) return;
    try {
      const rows = await this.db.all<{ id: string; last_seq: number }>(
        `SELECT id, last_seq FROM sessions WHERE id = ANY(CAST(? AS TEXT[]))`,
        [watched],
      );
      if (this.closed) return;
      const heads = new Map(rows.map((row) => [row.id, Number(row.last_seq)]));
      for (const sessionId of watched) {
        const head = heads.get(sessionId);
        if (head === undefined) hub.deleted(sessionId);
        else hub.signal(sessionId, head);
      }
    } catch (error) {
      if (!this.closed) this.onError(error);
    }
  }
}

/** Channel names are ours (constants), but quote them anyway so none can be read as SQL. */
function quoteChannel(channel: string): string {
  return `"${channel.replace(/"/g, '""')}"`;
}
