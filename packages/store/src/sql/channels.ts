/**
 * The notification channels the shared SQL and the PostgreSQL adapter meet on. Drivers without
 * notifications (SQLite) never send on them.
 */
export const CHANNELS = {
  /** `"<sessionId> <lastSeq>"` or `"<sessionId> deleted"`: a session's log grew or the session is gone. */
  events: 'longhand_events',
  /** `"<origin> <sessionId>"`: the session has input waiting for a worker. */
  wakes: 'longhand_wakes',
  /** A JSON batch of previews (see `postgres/preview-batches.ts`). */
  previews: 'longhand_previews',
} as const;

/** The payload of a wake: which store signalled it (so it can ignore its own) and which session. */
export function wakePayload(origin: string, sessionId: string): string {
  return `${origin} ${sessionId}`;
}
