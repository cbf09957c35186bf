import { CHANNELS } from '../sql/channels.js';
import type { WakeListener, WakeSignals } from '../wakes.js';
import type { NotificationLink } from './postgres-previews.js';

/**
 * Wakes from other processes over PostgreSQL's NOTIFY: an append that marks a session as
 * wanting a turn sends `"<origin> <sessionId>"` on `longhand_wakes` as it commits (see
 * `sql-event-log.ts`), and so does a process handing its sessions on as it shuts down. The
 * channel LISTENs only once someone subscribes (a worker's scheduler), so API-only processes
 * never receive wakes.
 */
export class PostgresWakeSignals implements WakeSignals {
  private readonly listeners = new Set<WakeListener>();
  private listening: Promise<void> | undefined;

  constructor(
    private readonly link: Pick<NotificationLink, 'listen'>,
    private readonly origin: string,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  subscribe(listener: WakeListener): () => void {
    const wrapped: WakeListener = (sessionId) => listener(sessionId);
    this.listeners.add(wrapped);
    void this.listenNow();
    return () => {
      this.listeners.delete(wrapped);
    };
  }

  /** Starts receiving wakes; resolves once the connection listens. */
  listenNow(): Promise<void> {
    this.listening ??= this.link.listen(CHANNELS.wakes, (payload) => this.receive(payload)).catch((error: unknown) => {
      this.listening = undefined;
      this.onError(error);
    });
    return this.listening;
  }

  private receive(payload: string): void {
    const space = payload.indexOf(' ');
    if (space <= 0) return;
    if (payload.slice(0, space) === this.origin) return;
    const sessionId = payload.slice(space + 1);
    for (const listener of [...this.listeners]) {
      try {
        listener(sessionId);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}
