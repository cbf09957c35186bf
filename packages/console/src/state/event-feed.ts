import type { PreviewEvent, SessionEvent } from '@longhand/protocol';

/** Text of an `agent.message` still being written, from `event_start` / `event_delta` previews. */
export interface Preview {
  /** The id the final event will carry. */
  id: string;
  type: 'agent.message' | 'agent.thinking';
  text: string;
}

/** What the timeline renders: events in order, each id once, plus open previews. */
export interface FeedSnapshot {
  readonly events: readonly SessionEvent[];
  readonly previews: readonly Preview[];
  /** Grows by one on every change; cheap to compare. */
  readonly version: number;
}

/**
 * When two copies of an event are at hand, keep the processed one (spec 4.4: a user event is
 * streamed queued, then again processed). Events are immutable otherwise, so the copy already
 * held stays, and with it the identity the timeline's rows are keyed on.
 */
function prefer(existing: SessionEvent, incoming: SessionEvent): SessionEvent {
  return existing.processed_at === null && incoming.processed_at !== null ? incoming : existing;
}

/**
 * A session's events as the console knows them: deduplicated by event id and ordered.
 *
 * Two sources feed it. The live stream (and the echoes of events the console sends) add events
 * in arrival order; a history listing (`events.list`) is merged in and fixes the order of every
 * event it contains, while events it does not contain yet (they arrived after the listing was
 * taken) stay after it in arrival order. A second copy of an event replaces the first in place,
 * so a user message queued (`processed_at: null`) and then processed is one entry. This is the
 * reconnect procedure of spec 4.6: open the stream, list history, dedupe by id.
 */
export class EventFeed {
  private readonly byId = new Map<string, SessionEvent>();
  private order: string[] = [];
  private readonly previewsById = new Map<string, { type: Preview['type']; parts: string[] }>();
  private readonly listeners = new Set<() => void>();
  private snapshot: FeedSnapshot = { events: [], previews: [], version: 0 };
  private dirty = false;
  private version = 0;
  private notifyScheduled = false;

  constructor(private readonly schedule: (fn: () => void) => void = (fn) => setTimeout(fn, 0)) {}

  /** How many distinct events the feed holds. */
  get size(): number {
    return this.order.length;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Adds events from the stream or from a send's echo. Events without an id are ignored. */
  add(events: readonly SessionEvent[]): void {
    let changed = false;
    for (const event of events) {
      if (typeof event.id !== 'string' || event.id === '') continue;
      const existing = this.byId.get(event.id);
      if (existing) {
        const kept = prefer(existing, event);
        if (kept !== existing) {
          this.byId.set(event.id, kept);
          changed = true;
        }
      } else {
        this.byId.set(event.id, event);
        this.order.push(event.id);
        changed = true;
      }
      if (this.previewsById.delete(event.id)) changed = true;
      // A finished model request closes any preview it left open (spec 4.3).
      if (event.type === 'span.model_request_end' && this.previewsById.size > 0) {
        this.previewsById.clear();
        changed = true;
      }
    }
    if (changed) this.changed();
  }

  /** Merges a complete history listing, oldest first: its order wins for the events it holds. */
  mergeHistory(history: readonly SessionEvent[]): void {
    const listed = new Set<string>();
    const order: string[] = [];
    for (const event of history) {
      if (typeof event.id !== 'string' || event.id === '' || listed.has(event.id)) continue;
      listed.add(event.id);
      const existing = this.byId.get(event.id);
      this.byId.set(event.id, existing ? prefer(existing, event) : event);
      this.previewsById.delete(event.id);
      order.push(event.id);
    }
    for (const id of this.order) if (!listed.has(id)) order.push(id);
    this.order = order;
    this.changed();
  }

  /** Applies a stream-only preview frame. Previews of events already held are ignored. */
  applyPreview(preview: PreviewEvent): void {
    if (preview.type === 'event_start') {
      const { id, type } = preview.event;
      if (this.byId.has(id) || this.previewsById.has(id)) return;
      this.previewsById.set(id, { type, parts: [] });
      this.changed();
      return;
    }
    const open = this.previewsById.get(preview.event_id);
    if (!open) return;
    const index = preview.delta.index ?? 0;
    open.parts[index] = (open.parts[index] ?? '') + preview.delta.content.text;
    this.changed();
  }

  /** Drops every open preview (a new connection starts without them). */
  clearPreviews(): void {
    if (this.previewsById.size === 0) return;
    this.previewsById.clear();
    this.changed();
  }

  /** The current state; the same object until something changes. */
  getSnapshot = (): FeedSnapshot => {
    if (this.dirty) {
      this.dirty = false;
      const events = this.order.map((id) => this.byId.get(id)!);
      const previews = [...this.previewsById].map(([id, open]) => ({ id, type: open.type, text: open.parts.join('\n\n') }));
      this.snapshot = { events, previews, version: this.version };
    }
    return this.snapshot;
  };

  /** Calls `listener` after changes, at most once per scheduled tick. */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private changed(): void {
    this.version += 1;
    this.dirty = true;
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    this.schedule(() => {
      this.notifyScheduled = false;
      for (const listener of [...this.listeners]) listener();
    });
  }
}
