import type { PreviewEvent } from '@longhand/protocol';
import type { PreviewChannel, PreviewListener } from './previews.js';

/**
 * The preview channel of a single process: a synchronous fan-out to this process's subscribers.
 * It is the whole channel of the SQLite store (one process runs sessions and serves streams),
 * and the local half of the PostgreSQL one.
 */
export class LocalPreviewChannel implements PreviewChannel {
  private readonly listeners = new Map<string, Set<PreviewListener>>();

  publish(sessionId: string, preview: PreviewEvent): void {
    const set = this.listeners.get(sessionId);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(preview);
      } catch {
        // A broken stream must not stop the harness that publishes.
      }
    }
  }

  subscribe(sessionId: string, listener: PreviewListener): () => void {
    let set = this.listeners.get(sessionId);
    if (!set) this.listeners.set(sessionId, (set = new Set()));
    const wrapped: PreviewListener = (preview) => listener(preview);
    set.add(wrapped);
    return () => {
      set.delete(wrapped);
      if (set.size === 0 && this.listeners.get(sessionId) === set) this.listeners.delete(sessionId);
    };
  }

  /** Whether anyone in this process listens to previews at all. */
  get empty(): boolean {
    return this.listeners.size === 0;
  }

  /** Whether anyone in this process listens to the session (a remote publisher's batch can skip it). */
  has(sessionId: string): boolean {
    return this.listeners.has(sessionId);
  }
}
