import type { PreviewEvent } from '@longhand/protocol';

/** Receives the previews of one session, in the order their publisher published them. */
export type PreviewListener = (preview: PreviewEvent) => void;

/**
 * Live previews (`event_start` / `event_delta`, spec 4.3) from the process that runs a session to
 * every process that streams it. Previews are best effort and never persisted: one may be lost
 * (a dropped connection, a full queue), but none is delivered twice, and the previews of one
 * publisher reach each subscriber in the order they were published.
 *
 * The buffered events stay the source of truth: a stream that misses previews still gets the
 * whole `agent.message` from the log.
 */
export interface PreviewChannel {
  /** Hands a preview to every subscriber of the session, in this process and in others. Never throws. */
  publish(sessionId: string, preview: PreviewEvent): void;
  /**
   * Calls `listener` with the session's previews from now on; returns a function that stops it.
   * A listener that throws is ignored, never the publisher's problem.
   */
  subscribe(sessionId: string, listener: PreviewListener): () => void;
}
