import type { StoredEvent } from '@longhand/store';
import type { SessionState, ToolUse } from '../session-state.js';

/** What a run does next. A pure function of the state picks it; each kind has one handler. */
export type Step =
  | { type: 'done' }
  | { type: 'close_orphan_span'; span: StoredEvent }
  | { type: 'interrupt'; interrupt: StoredEvent }
  | { type: 'acknowledge'; inputs: StoredEvent[] }
  | { type: 'start_turn'; inputs: StoredEvent[] }
  | { type: 'resume' }
  | { type: 'supersede'; stale: ToolUse[]; inputs: StoredEvent[] }
  | { type: 'tool'; use: ToolUse; mode: 'run' | 'deny' | 'interrupted' }
  | { type: 'block'; ids: string[] }
  | { type: 'model' }
  | { type: 'evaluate' }
  | { type: 'end_turn' };

export interface StepInputs {
  state: SessionState;
  /** Seq when this run began. */
  startSeq: number;
  /** Whether the session's budget allows another model request. */
  budgetAllows: boolean;
  /** Tools that may simply run again after an interruption. */
  idempotent: (name: string) => boolean;
}

/** What a tool use waiting in a turn needs, or undefined when the client must act first. */
function toolMode(use: ToolUse, inputs: StepInputs): 'run' | 'deny' | 'interrupted' | undefined {
  if (use.kind === 'custom') return undefined;
  if (use.kind === 'mcp') return 'deny';
  if (use.permission === 'deny') return 'deny';
  if (use.permission === 'ask') {
    if (!use.confirmation) return undefined;
    if (use.confirmation.result === 'deny') return 'deny';
  }
  // A call that an earlier run had already cleared to run (allowed outright, or confirmed and
  // taken up) may have been running when that run's process died: run it again only if that
  // is harmless.
  const clearedBefore =
    use.permission === 'allow'
      ? use.event.seq <= inputs.startSeq
      : use.confirmation?.takenUpSeq !== undefined && use.confirmation.takenUpSeq <= inputs.startSeq;
  if (clearedBefore && !inputs.idempotent(use.name)) return 'interrupted';
  return 'run';
}

function blockingIds(state: SessionState, inputs: StepInputs): string[] {
  return state.unresolved().filter((use) => toolMode(use, inputs) === undefined).map((use) => use.event.event.id);
}

/** Picks the next step of a run from the session's state. */
export function nextStep(inputs: StepInputs): Step {
  const { state } = inputs;
  if (state.phase === 'terminated') return { type: 'done' };
  if (state.openSpan) return { type: 'close_orphan_span', span: state.openSpan };

  const interrupt = state.firstPending('user.interrupt');
  if (interrupt) {
    return state.phase === 'idle' ? { type: 'acknowledge', inputs: [interrupt] } : { type: 'interrupt', interrupt };
  }
  const messages = state.pending.filter((p) => p.event.type === 'user.message' || p.event.type === 'system.message');
  const hasMessage = messages.some((p) => p.event.type === 'user.message');

  switch (state.phase) {
    case 'idle': {
      if (hasMessage || state.outcome?.state === 'pending') return { type: 'start_turn', inputs: messages };
      const stray = state.pending.filter((p) => p.event.type === 'user.tool_confirmation');
      return stray.length > 0 ? { type: 'acknowledge', inputs: stray } : { type: 'done' };
    }
    case 'blocked': {
      const blocking = blockingIds(state, inputs);
      if (blocking.length === 0) return { type: 'resume' };
      if (hasMessage) {
        const stale = state.unresolved().filter((use) => blocking.includes(use.event.event.id));
        return { type: 'supersede', stale, inputs: messages };
      }
      const shown = state.lastIdle?.type === 'requires_action' ? state.lastIdle.event_ids : [];
      if (blocking.length !== shown.length || blocking.some((id) => !shown.includes(id))) return { type: 'block', ids: blocking };
      return { type: 'done' };
    }
    case 'paused':
      return inputs.budgetAllows ? { type: 'resume' } : { type: 'done' };
    case 'rescheduling':
      return { type: 'resume' };
    case 'running': {
      const blocking: string[] = [];
      for (const use of state.unresolved()) {
        const mode = toolMode(use, inputs);
        if (mode) return { type: 'tool', use, mode };
        blocking.push(use.event.event.id);
      }
      if (blocking.length > 0) return { type: 'block', ids: blocking };
      // An evaluation cut off by a dead process is made again.
      if (state.outcome?.state === 'evaluating') return { type: 'evaluate' };
      if (state.lastResponseToolUses === 0) return state.outcome?.state === 'working' ? { type: 'evaluate' } : { type: 'end_turn' };
      return { type: 'model' };
    }
  }
}
