import type { PreviewEvent } from '@longhand/protocol';

export type PreviewListener = (preview: PreviewEvent) => void;

/**
 * Live previews (`event_start` / `event_delta`) from the harness to the streams that opted in.
 * They are best-effort and never persisted (spec 4.3), so an in-process fan-out is enough when
 * the harness and the stream share a process.
 */
export class PreviewHub {
  private readonly listeners = new Map<string, Set<PreviewListener>>();

  publish(sessionId: string, preview: PreviewEvent): void {
    for (const listener of this.listeners.get(sessionId) ?? []) {
      try {
        listener(preview);
      } catch {
        // A broken listener must not stop the harness.
      }
    }
  }

  subscribe(sessionId: string, listener: PreviewListener): () => void {
    let set = this.listeners.get(sessionId);
    if (!set) this.listeners.set(sessionId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(sessionId) === set) this.listeners.delete(sessionId);
    };
  }
}
