import type { SessionEvent } from '@longhand/protocol';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { useApi } from './api-context.js';
import { EventFeed, type FeedSnapshot } from './event-feed.js';
import { SessionStream, type ConnectionState } from './session-stream.js';

export interface SessionFeed {
  feed: EventFeed;
  snapshot: FeedSnapshot;
  connection: ConnectionState;
}

/**
 * Follows one session live: a feed of its events kept complete by a reconnecting stream. The
 * stream starts when the session is shown and stops when it is left; coming back online skips
 * the wait before the next attempt. `onEvent` sees each event the stream delivers.
 */
export function useSessionFeed(sessionId: string, onEvent?: (event: SessionEvent) => void): SessionFeed {
  const { client } = useApi();
  const [feed, setFeed] = useState(() => new EventFeed());
  const [connection, setConnection] = useState<ConnectionState>({ phase: 'connecting', attempt: 0 });
  const onEventRef = useRef(onEvent);
  onEventRef.current = onEvent;

  useEffect(() => {
    const fresh = new EventFeed();
    setFeed(fresh);
    setConnection({ phase: 'connecting', attempt: 0 });
    const stream = new SessionStream({
      client,
      sessionId,
      feed: fresh,
      onState: setConnection,
      onEvent: (event) => onEventRef.current?.(event),
    });
    stream.start();
    const online = () => stream.retryNow();
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('online', online);
      stream.stop();
    };
  }, [client, sessionId]);

  const snapshot = useSyncExternalStore(feed.subscribe, feed.getSnapshot);
  return { feed, snapshot, connection };
}
