import type { PreviewEvent, SessionEvent } from '@longhand/protocol';
import { ApiError, describeError } from '../api/api-error.js';
import type { ApiClient } from '../api/client.js';
import { readSse, type SseFrame } from '../api/sse-reader.js';
import type { EventFeed } from './event-feed.js';

/** Where a session's live connection stands, for the indicator in the session header. */
export interface ConnectionState {
  phase: 'connecting' | 'syncing' | 'live' | 'reconnecting' | 'ended';
  /** Failed attempts in a row (0 once live). */
  attempt: number;
  /** Why the last attempt failed. */
  lastError?: string;
  /** Why the connection ended for good. */
  reason?: 'terminated' | 'deleted' | 'not_found' | 'unauthorized';
  /** When the next attempt starts (epoch ms), while reconnecting. */
  retryAt?: number;
}

export interface SessionStreamOptions {
  client: ApiClient;
  sessionId: string;
  feed: EventFeed;
  onState: (state: ConnectionState) => void;
  /** Every persisted event the stream delivers (after the feed has it). */
  onEvent?: (event: SessionEvent) => void;
  /** Delays between attempts, in ms; the last one repeats. */
  retryDelays?: readonly number[];
  /** A connection that sends nothing this long is presumed dead (the server pings every 15 s). */
  silenceMs?: number;
}

const DEFAULT_DELAYS = [250, 500, 1000, 2000, 3000, 5000];
const PREVIEW_TYPES = new Set(['event_start', 'event_delta']);

type Outcome = 'terminated' | 'deleted' | undefined;

/**
 * Keeps a session's feed complete and live, across server restarts and network drops, by the
 * procedure of spec 4.6: open the stream (the server buffers from then on), list the whole
 * history, merge it into the feed (which dedupes by event id), then follow the stream. When
 * the stream ends or fails, it waits a little longer each time and does it all again.
 */
export class SessionStream {
  private stopped = false;
  private controller: AbortController | undefined;
  private wake: (() => void) | undefined;
  private state: ConnectionState = { phase: 'connecting', attempt: 0 };

  constructor(private readonly options: SessionStreamOptions) {}

  start(): void {
    void this.run();
  }

  /** Stops for good and closes the connection. */
  stop(): void {
    this.stopped = true;
    this.controller?.abort();
    this.wake?.();
  }

  /** Skips the wait before the next attempt (for example when the browser comes back online). */
  retryNow(): void {
    this.wake?.();
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    if (!this.stopped) this.options.onState(state);
  }

  private async run(): Promise<void> {
    const { client, sessionId, feed } = this.options;
    const delays = this.options.retryDelays ?? DEFAULT_DELAYS;
    const path = `/v1/sessions/${encodeURIComponent(sessionId)}/events`;
    let attempt = 0;
    let lastError: string | undefined;
    while (!this.stopped) {
      const controller = new AbortController();
      this.controller = controller;
      let silence: ReturnType<typeof setTimeout> | undefined;
      const kick = () => {
        clearTimeout(silence);
        silence = setTimeout(() => controller.abort(new Error('the connection went silent')), this.options.silenceMs ?? 45_000);
      };
      try {
        this.setState({ phase: attempt === 0 ? 'connecting' : 'reconnecting', attempt, ...(lastError ? { lastError } : {}) });
        const response = await client.raw(`${path}/stream`, {
          query: { event_deltas: ['agent.message'] },
          signal: controller.signal,
          accept: 'text/event-stream',
        });
        if (!response.body) throw new Error('the stream response has no body');
        // From here the server buffers every new event for us; history can be listed safely.
        feed.clearPreviews();
        kick();
        let outcome: Outcome;
        const reading = readSse(response.body, (frame) => {
          outcome = this.frame(frame) ?? outcome;
        }, kick);
        reading.catch(() => undefined);
        this.setState({ phase: 'syncing', attempt });
        const history = await client.listAll<SessionEvent>(path, { limit: 1000 }, { signal: controller.signal });
        feed.mergeHistory(history);
        if (history.some((event) => event.type === 'session.status_terminated')) outcome = 'terminated';
        attempt = 0;
        lastError = undefined;
        if (outcome) return this.end(outcome);
        this.setState({ phase: 'live', attempt: 0 });
        await reading;
        if (outcome) return this.end(outcome);
        lastError = 'the server closed the stream';
      } catch (error) {
        if (this.stopped) return;
        if (error instanceof ApiError && error.unauthorized) return this.end('unauthorized');
        if (error instanceof ApiError && error.notFound) return this.end('not_found');
        lastError = controller.signal.aborted && controller.signal.reason instanceof Error ? controller.signal.reason.message : describeError(error);
      } finally {
        clearTimeout(silence);
        controller.abort();
      }
      if (this.stopped) return;
      attempt += 1;
      const base = delays[Math.min(attempt - 1, delays.length - 1)]!;
      const delay = Math.round(base * (0.8 + Math.random() * 0.4));
      this.setState({ phase: 'reconnecting', attempt, lastError, retryAt: Date.now() + delay });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private end(reason: NonNullable<ConnectionState['reason']>): void {
    this.setState({ ...this.state, phase: 'ended', reason });
  }

  /** Handles one frame; tells when the session is over. Frames without `event:` are dropped, as the SDK does. */
  private frame(frame: SseFrame): Outcome {
    if (!frame.event || frame.event === 'ping' || frame.data === '') return undefined;
    let data: { type?: string; id?: unknown };
    try {
      data = JSON.parse(frame.data) as { type?: string; id?: unknown };
    } catch {
      return undefined;
    }
    if (frame.event === 'error') {
      this.controller?.abort(new Error('the server reported a stream error'));
      return undefined;
    }
    if (data.type && PREVIEW_TYPES.has(data.type)) {
      this.options.feed.applyPreview(data as PreviewEvent);
      return undefined;
    }
    if (data.type === 'session.deleted') return 'deleted';
    if (typeof data.id !== 'string') return undefined;
    const event = data as SessionEvent;
    this.options.feed.add([event]);
    this.options.onEvent?.(event);
    return event.type === 'session.status_terminated' ? 'terminated' : undefined;
  }
}
