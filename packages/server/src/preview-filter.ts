import type { PreviewEvent } from '@longhand/protocol';

const PREVIEWED = new Set(['agent.message', 'agent.thinking']);
const REMEMBERED = 1000;

/**
 * Keeps one stream's previews consistent with its buffered events (spec 4.3): only the opted-in
 * types, at most one `event_start` per id, deltas only after their start and never for thinking,
 * and nothing for an id whose buffered event was already delivered.
 */
export class PreviewFilter {
  private readonly started = new Set<string>();
  private readonly finished = new Set<string>();

  constructor(private readonly types: ReadonlySet<string>) {}

  /** Whether to send a preview on this stream. */
  admit(preview: PreviewEvent): boolean {
    if (preview.type === 'event_start') {
      const { id, type } = preview.event;
      if (!this.types.has(type) || this.started.has(id) || this.finished.has(id)) return false;
      this.remember(this.started, id);
      return true;
    }
    return this.started.has(preview.event_id) && !this.finished.has(preview.event_id) && this.types.has('agent.message');
  }

  /** Notes a buffered event delivered on this stream. */
  delivered(event: { id: string; type: string }): void {
    if (!PREVIEWED.has(event.type)) return;
    this.started.delete(event.id);
    this.remember(this.finished, event.id);
  }

  private remember(set: Set<string>, id: string): void {
    set.add(id);
    if (set.size > REMEMBERED) set.delete(set.values().next().value!);
  }
}
