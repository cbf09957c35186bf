import type { PreviewEvent } from '@longhand/protocol';
import { LocalPreviewChannel, type PreviewChannel } from '@longhand/store';

export type PreviewListener = (preview: PreviewEvent) => void;

/**
 * Live previews (`event_start` / `event_delta`) from the harness to the streams that opted in.
 * They are best-effort and never persisted (spec 4.3). The hub sits in front of the store's
 * preview channel, which carries them to streams in this process at once and, on PostgreSQL,
 * to the streams of other processes too: the worker running a session is rarely the process
 * a client streams from.
 */
export class PreviewHub {
  /** @param channel the store's channel; an in-process one when none is given (tests). */
  constructor(private readonly channel: PreviewChannel = new LocalPreviewChannel()) {}

  /** Publishes a preview of the session; never throws, whatever the channel does. */
  publish(sessionId: string, preview: PreviewEvent): void {
    try {
      this.channel.publish(sessionId, preview);
    } catch {
      // Previews are best effort: the harness must go on.
    }
  }

  /** Calls `listener` with the session's previews until the returned function is called. */
  subscribe(sessionId: string, listener: PreviewListener): () => void {
    return this.channel.subscribe(sessionId, (preview) => {
      try {
        listener(preview);
      } catch {
        // A broken listener must not stop delivery to the others.
      }
    });
  }
}
