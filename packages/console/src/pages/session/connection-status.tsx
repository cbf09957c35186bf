import type { ConnectionState } from '../../state/session-stream.js';

const ENDED: Record<NonNullable<ConnectionState['reason']>, string> = {
  terminated: 'Session terminated: no more events will come.',
  deleted: 'This session was deleted.',
  not_found: 'This session no longer exists.',
  unauthorized: 'The API key was not accepted.',
};

/** The live connection's state, announced politely to screen readers as it changes. */
export function ConnectionStatus({ state }: { state: ConnectionState }) {
  let text: string;
  let tone: string;
  switch (state.phase) {
    case 'live':
      text = 'Live';
      tone = 'good';
      break;
    case 'connecting':
      text = 'Connecting…';
      tone = 'info';
      break;
    case 'syncing':
      text = 'Loading history…';
      tone = 'info';
      break;
    case 'reconnecting':
      text = `Reconnecting (attempt ${state.attempt})…`;
      tone = 'warn';
      break;
    case 'ended':
      text = state.reason ? ENDED[state.reason] : 'Disconnected';
      tone = state.reason === 'terminated' ? 'muted' : 'bad';
      break;
  }
  return (
    <span className={`connection tone-${tone}`} role="status" aria-live="polite" data-phase={state.phase} title={state.lastError ?? undefined}>
      <span className="dot" aria-hidden="true" />
      {text}
    </span>
  );
}
