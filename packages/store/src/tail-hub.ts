import type { StoredEvent, Subscription, SubscriptionListener } from './event-log.js';

/** Reads events of a session with seq > afterSeq, ascending, including redeliveries. */
export type ReadAfter = (sessionId: string, afterSeq: number, limit: number) => Promise<StoredEvent[]>;

const PAGE = 1000;

interface Subscriber {
  listener: SubscriptionListener;
  /** Seq of the last event delivered to this subscriber. */
  cursor: number;
  live: boolean;
  closed: boolean;
}

/**
 * Fans a session's new events out to its subscribers: one database read per batch of new events
 * however many subscribers there are, every event delivered once and in seq order.
 *
 * Events reach the hub in two ways: `committed` with the events this process just appended (no read
 * needed when they follow on), and `signal` when another process says the log grew (read from the
 * database). A subscriber that starts behind catches up on its own reads, then joins the live set.
 */
class SessionTail {
  readonly live = new Set<Subscriber>();
  readonly catchingUp = new Set<Subscriber>();
  /** Highest seq dispatched to the live set. */
  liveSeq: number;
  private pumping = false;
  private again = false;

  constructor(
    readonly sessionId: string,
    startSeq: number,
    private readonly read: ReadAfter,
    private readonly onEmpty: () => void,
  ) {
    this.liveSeq = startSeq;
  }

  get size(): number {
    return this.live.size + this.catchingUp.size;
  }

  add(subscriber: Subscriber): void {
    if (subscriber.cursor >= this.liveSeq) {
      subscriber.live = true;
      this.live.add(subscriber);
      return;
    }
    this.catchingUp.add(subscriber);
    void this.catchUp(subscriber);
  }

  remove(subscriber: Subscriber): void {
    subscriber.closed = true;
    this.live.delete(subscriber);
    this.catchingUp.delete(subscriber);
    if (this.size === 0) this.onEmpty();
  }

  committed(events: StoredEvent[]): void {
    if (events.length === 0) return;
    if (!this.pumping && events[0]!.seq === this.liveSeq + 1) this.dispatch(events);
    else this.signal(events[events.length - 1]!.seq);
  }

  signal(lastSeq: number): void {
    if (lastSeq <= this.liveSeq && !this.pumping) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    void this.pump();
  }

  deleted(): void {
    for (const subscriber of [...this.live, ...this.catchingUp]) {
      subscriber.closed = true;
      subscriber.listener.onDeleted?.();
    }
    this.live.clear();
    this.catchingUp.clear();
    this.onEmpty();
  }

  fail(error: unknown): void {
    for (const subscriber of [...this.live, ...this.catchingUp]) {
      subscriber.closed = true;
      subscriber.listener.onError?.(error);
    }
    this.live.clear();
    this.catchingUp.clear();
    this.onEmpty();
  }

  private dispatch(events: StoredEvent[]): void {
    const last = events[events.length - 1]!.seq;
    for (const subscriber of this.live) deliver(subscriber, events);
    if (last > this.liveSeq) this.liveSeq = last;
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      do {
        this.again = false;
        for (;;) {
          const batch = await this.read(this.sessionId, this.liveSeq, PAGE);
          if (batch.length === 0) break;
          this.dispatch(batch);
          if (batch.length < PAGE) break;
        }
      } while (this.again && this.size > 0);
    } catch (error) {
      this.fail(error);
    } finally {
      this.pumping = false;
    }
  }

  private async catchUp(subscriber: Subscriber): Promise<void> {
    try {
      while (!subscriber.closed) {
        if (subscriber.cursor >= this.liveSeq) {
          this.catchingUp.delete(subscriber);
          subscriber.live = true;
          this.live.add(subscriber);
          return;
        }
        const batch = await this.read(this.sessionId, subscriber.cursor, PAGE);
        if (subscriber.closed) return;
        if (batch.length === 0) {
          // The hub knows of events the database did not return yet: wait for the pump.
          this.catchingUp.delete(subscriber);
          subscriber.live = true;
          this.live.add(subscriber);
          return;
        }
        deliver(subscriber, batch);
      }
    } catch (error) {
      this.catchingUp.delete(subscriber);
      subscriber.closed = true;
      subscriber.listener.onError?.(error);
      if (this.size === 0) this.onEmpty();
    }
  }
}

function deliver(subscriber: Subscriber, events: StoredEvent[]): void {
  if (subscriber.closed) return;
  let fresh = events;
  if (events[0]!.seq <= subscriber.cursor) fresh = events.filter((event) => event.seq > subscriber.cursor);
  if (fresh.length === 0) return;
  subscriber.cursor = fresh[fresh.length - 1]!.seq;
  try {
    subscriber.listener.onEvents(fresh);
  } catch (error) {
    subscriber.listener.onError?.(error);
  }
}

/** All sessions' tails of one store. */
export class TailHub {
  private readonly tails = new Map<string, SessionTail>();

  constructor(private readonly read: ReadAfter) {}

  subscribe(sessionId: string, afterSeq: number, listener: SubscriptionListener): Subscription {
    let tail = this.tails.get(sessionId);
    if (!tail) {
      const created: SessionTail = new SessionTail(sessionId, afterSeq, this.read, () => {
        if (this.tails.get(sessionId) === created) this.tails.delete(sessionId);
      });
      tail = created;
      this.tails.set(sessionId, tail);
      // A new tail may start behind the log: look once, so appends made before it existed show up.
      tail.signal(Number.MAX_SAFE_INTEGER);
    }
    const subscriber: Subscriber = { listener, cursor: afterSeq, live: false, closed: false };
    const owner = tail;
    owner.add(subscriber);
    return { close: () => owner.remove(subscriber) };
  }

  /** Events this process just committed. */
  committed(sessionId: string, events: StoredEvent[]): void {
    this.tails.get(sessionId)?.committed(events);
  }

  /** Another process appended up to `lastSeq`. */
  signal(sessionId: string, lastSeq: number): void {
    this.tails.get(sessionId)?.signal(lastSeq);
  }

  /** The session is gone: tell its subscribers and drop them. */
  deleted(sessionId: string): void {
    this.tails.get(sessionId)?.deleted();
  }

  /** Sessions with at least one subscriber in this process. */
  sessionIds(): string[] {
    return [...this.tails.keys()];
  }

  /** Ends every subscription with `error`. */
  closeAll(error: unknown): void {
    for (const tail of [...this.tails.values()]) tail.fail(error);
    this.tails.clear();
  }
}
