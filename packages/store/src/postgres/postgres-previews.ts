import type { PreviewEvent } from '@longhand/protocol';
import { LocalPreviewChannel } from '../local-previews.js';
import type { PreviewChannel, PreviewListener } from '../previews.js';
import { CHANNELS } from '../sql/channels.js';
import { MAX_PAYLOAD_BYTES, packPreviews, unpackPreviews, type PreviewEntry } from './preview-batches.js';

/** What the channel needs of the store's listening connection. */
export interface NotificationLink {
  listen(channel: string, handler: (payload: string) => void): Promise<void>;
  notify(channel: string, payloads: readonly string[]): Promise<void>;
}

export interface PostgresPreviewOptions {
  /** How long a preview may wait for others to share its notification. Default 10 ms. */
  batchMs?: number;
  /** Batches waiting to be sent beyond which the oldest are dropped (the database is slow). Default 1000. */
  maxQueuedPayloads?: number;
}

/**
 * Previews across processes over PostgreSQL's NOTIFY. Subscribers in this process get a
 * preview at once; other processes get it in a batch: previews published within `batchMs` of
 * each other travel together, packed into payloads under PostgreSQL's 8000-byte limit (a large
 * text delta is cut into several). Batches go out one after another on the store's listening
 * connection, so each process's previews arrive in the order it published them. Each process
 * ignores its own batches, having delivered them locally.
 *
 * The channel LISTENs only once someone in this process subscribes (or `listenNow` is called):
 * a worker that serves no streams never receives anyone's previews.
 */
export class PostgresPreviewChannel implements PreviewChannel {
  private readonly local = new LocalPreviewChannel();
  private pending: PreviewEntry[] = [];
  private readonly pendingSessions = new Set<string>();
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();
  private queued = 0;
  private counter = 0;
  private listening: Promise<void> | undefined;
  private closed = false;
  /** Previews that could not be sent (connection down, queue full). */
  dropped = 0;
  private readonly batchMs: number;
  private readonly maxQueuedPayloads: number;

  constructor(
    private readonly link: NotificationLink,
    private readonly origin: string,
    options: PostgresPreviewOptions = {},
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.batchMs = options.batchMs ?? 10;
    this.maxQueuedPayloads = options.maxQueuedPayloads ?? 1000;
  }

  publish(sessionId: string, preview: PreviewEvent): void {
    if (this.closed) return;
    this.local.publish(sessionId, preview);
    this.pending.push([sessionId, preview]);
    this.pendingSessions.add(sessionId);
    // An estimate (JSON may escape more): it only decides when to send early, never how to pack.
    this.pendingBytes += 120 + sessionId.length + (preview.type === 'event_delta' ? preview.delta.content.text.length * 2 : 0);
    if (this.pendingBytes >= MAX_PAYLOAD_BYTES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.batchMs);
  }

  subscribe(sessionId: string, listener: PreviewListener): () => void {
    void this.listenNow();
    return this.local.subscribe(sessionId, listener);
  }

  /** Starts receiving other processes' previews; resolves once the connection listens. */
  listenNow(): Promise<void> {
    this.listening ??= this.link.listen(CHANNELS.previews, (payload) => this.receive(payload)).catch((error: unknown) => {
      this.listening = undefined;
      this.onError(error);
    });
    return this.listening;
  }

  /**
   * Sends whatever is pending now, without waiting for the batch window; with a session, only if
   * that session has previews pending. The store calls it as an append of the session is queued
   * and, when it returns a promise (something was sent), writes the append once it settles: the
   * notifications are then committed before the append's own, and PostgreSQL delivers them in
   * commit order, so previews arrive before the events they preview.
   */
  flush(sessionId?: string): Promise<void> | undefined {
    if (sessionId !== undefined && !this.pendingSessions.has(sessionId)) return undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return undefined;
    const entries = this.pending;
    this.pending = [];
    this.pendingSessions.clear();
    this.pendingBytes = 0;
    const payloads = packPreviews(this.origin, entries, () => (this.counter += 1));
    if (this.queued + payloads.length > this.maxQueuedPayloads) {
      this.dropped += entries.length;
      return undefined;
    }
    this.queued += payloads.length;
    this.sending = this.sending.then(
      () =>
        this.link.notify(CHANNELS.previews, payloads).then(
          () => undefined,
          () => {
            // Best effort (spec 4.3): the events themselves still arrive through the log.
            this.dropped += entries.length;
          },
        ),
    ).finally(() => {
      this.queued -= payloads.length;
    });
    return this.sending;
  }

  /** Sends what is pending and waits for it; then publishes nothing more. */
  async close(): Promise<void> {
    this.flush();
    this.closed = true;
    await this.sending;
  }

  private receive(payload: string): void {
    // Nobody streams previews here now: not even worth parsing.
    if (this.local.empty) return;
    const batch = unpackPreviews(payload);
    if (!batch || batch.origin === this.origin) return;
    for (const [sessionId, preview] of batch.entries) {
      if (this.local.has(sessionId)) this.local.publish(sessionId, preview);
    }
  }
}
