import type { Checkpoint, SessionEvent, SessionStatus } from '@longhand/protocol';

/** What made each kind of checkpoint, in words a reader of the list understands. */
export const TRIGGER_LABELS: Record<Checkpoint['trigger'], string> = {
  turn_end: 'end of a turn',
  manual: 'taken by hand',
  fork: 'start of this fork',
  restore: 'after a restore',
};

/** The label of a trigger, or the trigger itself when a newer server sends one we do not know. */
export function triggerLabel(trigger: string): string {
  return (TRIGGER_LABELS as Record<string, string>)[trigger] ?? trigger;
}

/** The timeline's line for `session.restored`: what went back, and that nothing was erased. */
export function restoredText(event: Extract<SessionEvent, { type: 'session.restored' }>): string {
  return `Restored to checkpoint ${event.checkpoint_id} (event #${event.restored_to_seq}): the files and the agent's view of the conversation went back to that point. The events after it stay in the log.`;
}

/**
 * Why a restore cannot be asked for now, or undefined when it can. The server refuses a
 * restore of a running session (400) and of an archived one (409); saying so before the click
 * spares the person an error. Input waiting to be taken up is refused too, but only the server
 * knows of it: its error is shown when it happens.
 */
export function restoreBlocker(status: SessionStatus, archived: boolean): string | undefined {
  if (archived) return 'This session is archived and read-only: it cannot be restored. Fork it instead to go on from a checkpoint.';
  if (status === 'running' || status === 'rescheduling') return 'The agent is working: interrupt it, or wait until the session is idle, to restore it.';
  return undefined;
}

/**
 * What taking a checkpoint did. The server answers with the latest checkpoint instead of a
 * new one when nothing has been logged since it, so a checkpoint already listed means no new
 * one was needed.
 */
export function takenText(taken: Checkpoint, listed: readonly Checkpoint[]): string {
  if (listed.some((checkpoint) => checkpoint.id === taken.id)) {
    return `Nothing has happened since checkpoint ${taken.id} (${triggerLabel(taken.trigger)}, event #${taken.seq}): it already holds this state, so no new checkpoint was taken.`;
  }
  return `Checkpoint ${taken.id} taken at event #${taken.seq}.`;
}
