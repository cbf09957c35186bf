import type { StoredEvent } from '@longhand/store';

/**
 * The events that make up a session's current history, once restores are taken into account.
 * A `session.restored` replaces everything before it with the history as it stood at its
 * checkpoint (`restored_to_seq`), itself computed the same way, so a restore to a checkpoint on
 * a branch that an earlier restore abandoned brings that branch back whole. The log itself is
 * never rewritten; this is a view of it.
 */
export function effectiveEvents(events: readonly StoredEvent[]): StoredEvent[] {
  let out: StoredEvent[] = [];
  for (let i = 0; i < events.length; i += 1) {
    const stored = events[i]!;
    if (stored.event.type === 'session.restored' && !stored.redelivery) {
      const target = stored.event.restored_to_seq;
      let end = i;
      while (end > 0 && events[end - 1]!.seq > target) end -= 1;
      out = effectiveEvents(events.slice(0, end));
    }
    out.push(stored);
  }
  return out;
}

/** Whether a batch of new events contains a restore (the state must then be rebuilt). */
export function hasRestore(events: readonly StoredEvent[]): boolean {
  return events.some((e) => e.event.type === 'session.restored' && !e.redelivery);
}
