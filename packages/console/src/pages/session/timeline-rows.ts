import type { SessionEvent } from '@longhand/protocol';
import type { Preview } from '../../state/event-feed.js';

export type ToolUseEvent = Extract<SessionEvent, { type: 'agent.tool_use' | 'agent.mcp_tool_use' | 'agent.custom_tool_use' }>;
export type ToolResultEvent = Extract<SessionEvent, { type: 'agent.tool_result' | 'agent.mcp_tool_result' | 'user.custom_tool_result' | 'user.tool_result' }>;
export type ConfirmationEvent = Extract<SessionEvent, { type: 'user.tool_confirmation' }>;

interface RowBase {
  /** Stable across rebuilds: the id of the row's first event. */
  key: string;
  /** Every event this row shows, so each event id is on exactly one row. */
  ids: string[];
}

/** One entry of the timeline. Several events can make one row (a tool call and its result). */
export type Row =
  | (RowBase & { kind: 'message'; role: 'user' | 'agent'; event: SessionEvent })
  | (RowBase & { kind: 'thinking'; event: SessionEvent })
  | (RowBase & { kind: 'tool'; use: ToolUseEvent; result?: ToolResultEvent; confirmation?: ConfirmationEvent })
  | (RowBase & { kind: 'span'; start: SessionEvent; end?: SessionEvent })
  | (RowBase & { kind: 'status'; event: SessionEvent })
  | (RowBase & { kind: 'error'; event: Extract<SessionEvent, { type: 'session.error' }> })
  | (RowBase & { kind: 'note'; event: SessionEvent })
  | (RowBase & { kind: 'preview'; preview: Preview });

/** Events shown elsewhere (the usage chart) or repeating another row (primary thread status). */
function hidden(event: SessionEvent, primaryThread: string): boolean {
  if (event.type === 'session.usage') return true;
  if (event.type.startsWith('session.thread_status_')) {
    return (event as { session_thread_id?: string }).session_thread_id === primaryThread;
  }
  return false;
}

/** Rough heights, in pixels, before a row is measured. */
export function estimateRowHeight(row: Row): number {
  switch (row.kind) {
    case 'message':
    case 'preview':
      return 88;
    case 'tool':
      return 132;
    case 'error':
      return 76;
    default:
      return 38;
  }
}

/**
 * Folds a session's events (in feed order) into timeline rows: tool results and confirmations
 * join the row of their tool call, a span's end joins its start. An answer whose call is not
 * in the feed gets a row of its own, so nothing is ever dropped silently.
 */
export function buildRows(events: readonly SessionEvent[], previews: readonly Preview[], primaryThread: string): Row[] {
  const rows: Row[] = [];
  const toolRows = new Map<string, Extract<Row, { kind: 'tool' }>>();
  const spanRows = new Map<string, Extract<Row, { kind: 'span' }>>();
  const outcomeRows = new Map<string, Extract<Row, { kind: 'span' }>>();
  for (const event of events) {
    if (hidden(event, primaryThread)) continue;
    const base = { key: event.id, ids: [event.id] };
    switch (event.type) {
      case 'user.message':
        rows.push({ ...base, kind: 'message', role: 'user', event });
        break;
      case 'agent.message':
        rows.push({ ...base, kind: 'message', role: 'agent', event });
        break;
      case 'agent.thinking':
        rows.push({ ...base, kind: 'thinking', event });
        break;
      case 'agent.tool_use':
      case 'agent.mcp_tool_use':
      case 'agent.custom_tool_use': {
        const row = { ...base, kind: 'tool' as const, use: event };
        toolRows.set(event.id, row);
        rows.push(row);
        break;
      }
      case 'agent.tool_result':
      case 'agent.mcp_tool_result':
      case 'user.custom_tool_result':
      case 'user.tool_result': {
        const ref =
          event.type === 'agent.mcp_tool_result' ? event.mcp_tool_use_id : event.type === 'user.custom_tool_result' ? event.custom_tool_use_id : event.tool_use_id;
        const row = toolRows.get(ref);
        if (row) {
          row.result = event;
          row.ids.push(event.id);
        } else rows.push({ ...base, kind: 'note', event });
        break;
      }
      case 'user.tool_confirmation': {
        const row = toolRows.get(event.tool_use_id);
        if (row) {
          row.confirmation = event;
          row.ids.push(event.id);
        } else rows.push({ ...base, kind: 'note', event });
        break;
      }
      case 'span.model_request_start': {
        const row = { ...base, kind: 'span' as const, start: event };
        spanRows.set(event.id, row);
        rows.push(row);
        break;
      }
      case 'span.model_request_end': {
        const row = spanRows.get(event.model_request_start_id);
        if (row) {
          row.end = event;
          row.ids.push(event.id);
        } else rows.push({ ...base, kind: 'span', start: event, end: event });
        break;
      }
      case 'span.outcome_evaluation_start': {
        const row = { ...base, kind: 'span' as const, start: event };
        outcomeRows.set(`${event.outcome_id}/${event.iteration}`, row);
        rows.push(row);
        break;
      }
      case 'span.outcome_evaluation_ongoing':
      case 'span.outcome_evaluation_end': {
        const row = outcomeRows.get(`${event.outcome_id}/${event.iteration}`);
        if (row) {
          if (event.type === 'span.outcome_evaluation_end') row.end = event;
          row.ids.push(event.id);
        } else rows.push({ ...base, kind: 'note', event });
        break;
      }
      case 'session.error':
        rows.push({ ...base, kind: 'error', event });
        break;
      default:
        if (event.type.startsWith('session.status_') || event.type.startsWith('session.thread_status_')) rows.push({ ...base, kind: 'status', event });
        else rows.push({ ...base, kind: 'note', event });
    }
  }
  for (const preview of previews) rows.push({ key: preview.id, ids: [], kind: 'preview', preview });
  return rows;
}
