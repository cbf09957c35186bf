import type { SessionEvent } from '@longhand/protocol';
import { describe, expect, it } from 'vitest';
import { EventFeed } from '../src/state/event-feed.js';

const now = '2026-01-01T00:00:00.000Z';
const message = (id: string, text: string, processed: string | null = now): SessionEvent => ({ id, type: 'user.message', content: [{ type: 'text', text }], processed_at: processed });
const status = (id: string): SessionEvent => ({ id, type: 'session.status_running', processed_at: now });
const ids = (feed: EventFeed) => feed.getSnapshot().events.map((event) => event.id);

/** A feed that notifies synchronously, so tests need not wait. */
const syncFeed = () => new EventFeed((fn) => fn());

describe('EventFeed', () => {
  it('keeps each event id once, in arrival order', () => {
    const feed = syncFeed();
    feed.add([message('a', 'one'), status('b')]);
    feed.add([status('b'), message('c', 'two')]);
    expect(ids(feed)).toEqual(['a', 'b', 'c']);
  });

  it('replaces a queued user event by its processed copy in place (the stream shows it twice)', () => {
    const feed = syncFeed();
    feed.add([message('a', 'hi', null), status('b')]);
    feed.add([message('a', 'hi', now)]);
    expect(ids(feed)).toEqual(['a', 'b']);
    expect(feed.getSnapshot().events[0]!.processed_at).toBe(now);
    // A late queued copy never overwrites the processed one.
    feed.add([message('a', 'hi', null)]);
    expect(feed.getSnapshot().events[0]!.processed_at).toBe(now);
  });

  it('lets a history listing fix the order of what it holds and keeps newer live events after it', () => {
    const feed = syncFeed();
    // Seen live before the listing came back: c (also in history) and d (newer than the listing).
    feed.add([status('c'), status('d')]);
    feed.mergeHistory([message('a', 'one'), status('b'), status('c')]);
    expect(ids(feed)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('ends up with the same events whatever the order of stream and history (reconnect)', () => {
    const history = [message('a', 'one'), status('b'), message('c', 'two'), status('d')];
    const feed = syncFeed();
    feed.add(history.slice(0, 2));
    // The connection drops after b; c and d happen while it is down; e arrives on the new stream.
    feed.add([status('e')]);
    feed.mergeHistory([...history, status('e')]);
    feed.add([status('e'), status('f')]);
    expect(ids(feed)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(feed.size).toBe(6);
  });

  it('shows an agent message preview until the message itself arrives', () => {
    const feed = syncFeed();
    feed.applyPreview({ type: 'event_start', event: { type: 'agent.message', id: 'm' } });
    feed.applyPreview({ type: 'event_delta', event_id: 'm', delta: { type: 'content_delta', index: 0, content: { type: 'text', text: 'Hel' } } });
    feed.applyPreview({ type: 'event_delta', event_id: 'm', delta: { type: 'content_delta', index: 0, content: { type: 'text', text: 'lo' } } });
    expect(feed.getSnapshot().previews).toEqual([{ id: 'm', type: 'agent.message', text: 'Hello' }]);
    feed.add([{ id: 'm', type: 'agent.message', content: [{ type: 'text', text: 'Hello!' }], processed_at: now }]);
    expect(feed.getSnapshot().previews).toEqual([]);
  });

  it('drops previews that a model request ended without concluding', () => {
    const feed = syncFeed();
    feed.applyPreview({ type: 'event_start', event: { type: 'agent.message', id: 'm' } });
    feed.add([{ id: 'end', type: 'span.model_request_end', model_request_start_id: 's', is_error: true, model_usage: { input_tokens: 1, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }, processed_at: now }]);
    expect(feed.getSnapshot().previews).toEqual([]);
  });

  it('notifies subscribers once per batch of changes, and not at all without a change', async () => {
    const feed = new EventFeed();
    let calls = 0;
    feed.subscribe(() => (calls += 1));
    feed.add([status('a')]);
    feed.add([status('b')]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(calls).toBe(1);
    const before = feed.getSnapshot();
    feed.add([status('a')]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(calls).toBe(1);
    expect(feed.getSnapshot()).toBe(before);
  });
});
