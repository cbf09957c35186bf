import type { SessionEvent, SessionStatus } from '@longhand/protocol';
import type { ToolUseEvent } from './timeline-rows.js';

const STATUS_OF: Record<string, SessionStatus> = {
  'session.status_running': 'running',
  'session.status_idle': 'idle',
  'session.status_rescheduled': 'rescheduling',
  'session.status_terminated': 'terminated',
};

/** The status the last status event of the feed announced, if any. */
export function lastStatus(events: readonly SessionEvent[]): { status: SessionStatus; event: SessionEvent } | undefined {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const status = STATUS_OF[events[i]!.type];
    if (status) return { status, event: events[i]! };
  }
  return undefined;
}

/** Tool calls that wait for the person at the console. */
export interface PendingActions {
  /** `agent.tool_use` / `agent.mcp_tool_use` with `evaluated_permission: 'ask'`, unconfirmed. */
  confirmations: ToolUseEvent[];
  /** `agent.custom_tool_use` without a `user.custom_tool_result`. */
  customCalls: ToolUseEvent[];
}

/**
 * What the session waits for: the blocking tool calls named by the last status event when it
 * is an idle with `stop_reason: requires_action` (spec 5.4, 5.5), minus those already answered.
 */
export function pendingActions(events: readonly SessionEvent[]): PendingActions {
  const none: PendingActions = { confirmations: [], customCalls: [] };
  const last = lastStatus(events);
  if (!last || last.event.type !== 'session.status_idle' || last.event.stop_reason.type !== 'requires_action') return none;
  const waiting = new Set(last.event.stop_reason.event_ids);
  const answered = new Set<string>();
  const uses = new Map<string, ToolUseEvent>();
  for (const event of events) {
    if (event.type === 'user.tool_confirmation') answered.add(event.tool_use_id);
    else if (event.type === 'user.custom_tool_result') answered.add(event.custom_tool_use_id);
    else if (event.type === 'user.tool_result') answered.add(event.tool_use_id);
    else if ((event.type === 'agent.tool_use' || event.type === 'agent.mcp_tool_use' || event.type === 'agent.custom_tool_use') && waiting.has(event.id)) {
      uses.set(event.id, event);
    }
  }
  const out: PendingActions = { confirmations: [], customCalls: [] };
  for (const id of last.event.stop_reason.event_ids) {
    const use = uses.get(id);
    if (!use || answered.has(id)) continue;
    if (use.type === 'agent.custom_tool_use') out.customCalls.push(use);
    else if (use.evaluated_permission === 'ask') out.confirmations.push(use);
  }
  return out;
}
