import type { TextBlockT, ToolResultContentBlockT, UserContentBlockT } from '../schema/common.js';
import type { BudgetLimit, SessionAgent, SessionUsage, Metadata } from './resources.js';

export type StopReason =
  | { type: 'end_turn' }
  | { type: 'requires_action'; event_ids: string[] }
  | { type: 'retries_exhausted' }
  | { type: 'budget_reached' }
  | { type: 'refusal' };

export type RetryStatus = { type: 'retrying' } | { type: 'exhausted' } | { type: 'terminal' };

export type SessionErrorType =
  | 'unknown_error'
  | 'model_overloaded_error'
  | 'model_rate_limited_error'
  | 'model_request_failed_error'
  | 'mcp_connection_failed_error'
  | 'mcp_authentication_failed_error'
  | 'billing_error'
  | 'credential_host_unreachable_error'
  | 'tool_use_limit_reached_error'
  | 'compaction_limit_reached_error'
  | 'repository_authentication_error'
  | 'repository_forbidden_error'
  | 'repository_not_found_error'
  | 'repository_checkout_error'
  | 'repository_clone_error';

export interface SessionErrorObject {
  type: SessionErrorType;
  message: string;
  retry_status: RetryStatus;
  mcp_server_name?: string;
  credential_id?: string;
  vault_id?: string;
  repository_url?: string | null;
}

export type EvaluatedPermission = 'allow' | 'ask' | 'deny';
export type ToolEvaluation =
  | { type: 'always_allow' }
  | { type: 'always_ask' }
  | { type: 'auto'; evaluated_permission: { type: 'allow' } | { type: 'ask' | 'deny'; reason_code: string } };

export interface ModelUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  speed?: 'standard' | 'fast' | null;
}

export type StopDetails = { type: 'refusal'; category: string | null; explanation: string | null } | null;

/**
 * Every event body that can be in a session's log, without `id` and `processed_at` (the store
 * assigns both). Client events keep their request shape; server events are those of spec 4.3.
 */
export type EventBody =
  // client events, as persisted
  | { type: 'user.message'; content: UserContentBlockT[] }
  | { type: 'user.interrupt'; session_thread_id?: string | null }
  | { type: 'user.tool_confirmation'; tool_use_id: string; result: 'allow' | 'deny'; deny_message?: string | null; session_thread_id?: string | null }
  | { type: 'user.custom_tool_result'; custom_tool_use_id: string; content?: ToolResultContentBlockT[]; is_error?: boolean | null; session_thread_id?: string | null }
  | { type: 'user.tool_result'; tool_use_id: string; content?: ToolResultContentBlockT[]; is_error?: boolean | null; session_thread_id?: string | null }
  | { type: 'user.define_outcome'; outcome_id: string; description: string; rubric: { type: 'text'; content: string } | { type: 'file'; file_id: string }; max_iterations: number | null }
  | { type: 'system.message'; content: TextBlockT[] }
  // agent events
  | { type: 'agent.message'; content: Array<TextBlockT | { type: 'redacted' }> }
  | { type: 'agent.thinking' }
  | { type: 'agent.tool_use'; name: string; input: Record<string, unknown>; evaluated_permission?: EvaluatedPermission; evaluation?: ToolEvaluation; session_thread_id?: string | null }
  | { type: 'agent.tool_result'; tool_use_id: string; content?: ToolResultContentBlockT[]; is_error?: boolean | null }
  | { type: 'agent.mcp_tool_use'; name: string; mcp_server_name: string; input: Record<string, unknown>; evaluated_permission?: EvaluatedPermission; evaluation?: ToolEvaluation; session_thread_id?: string | null }
  | { type: 'agent.mcp_tool_result'; mcp_tool_use_id: string; content?: ToolResultContentBlockT[]; is_error?: boolean | null }
  | { type: 'agent.custom_tool_use'; name: string; input: Record<string, unknown>; session_thread_id?: string | null }
  | { type: 'agent.thread_context_compacted'; pre_compaction_tokens?: number }
  // session events
  | { type: 'session.status_running' }
  | { type: 'session.status_idle'; stop_reason: StopReason; stop_details: StopDetails }
  | { type: 'session.status_rescheduled' }
  | { type: 'session.status_terminated' }
  | { type: 'session.error'; error: SessionErrorObject }
  | { type: 'session.updated'; title?: string | null; metadata?: Metadata; budget?: BudgetLimit | null; agent?: SessionAgent }
  // Longhand extension (docs/api-extensions.md): the session was rolled back to a checkpoint.
  | { type: 'session.restored'; checkpoint_id: string; restored_to_seq: number }
  | { type: 'session.usage'; usage: SessionUsage; budget?: BudgetLimit | null }
  | { type: 'session.thread_status_running'; session_thread_id: string; agent_name: string }
  | { type: 'session.thread_status_idle'; session_thread_id: string; agent_name: string; stop_reason: StopReason; stop_details: StopDetails }
  | { type: 'session.thread_status_rescheduled'; session_thread_id: string; agent_name: string }
  | { type: 'session.thread_status_terminated'; session_thread_id: string; agent_name: string }
  // spans
  | { type: 'span.model_request_start' }
  | { type: 'span.model_request_end'; model_request_start_id: string; is_error: boolean | null; model_usage: ModelUsage }
  | { type: 'span.outcome_evaluation_start'; outcome_id: string; iteration: number }
  | { type: 'span.outcome_evaluation_ongoing'; outcome_id: string; iteration: number }
  | { type: 'span.outcome_evaluation_end'; outcome_id: string; outcome_evaluation_start_id: string; iteration: number; result: string; explanation: string; usage: ModelUsage };

export type EventType = EventBody['type'];

/** A persisted event as it appears on the wire. */
export type SessionEvent = EventBody & { id: string; processed_at: string | null };

/** The body of one event type. */
export type EventOf<T extends EventType> = Extract<EventBody, { type: T }>;

/** Stream-only previews (spec 4.3); never persisted. */
export type PreviewEvent =
  | { type: 'event_start'; event: { type: 'agent.message' | 'agent.thinking'; id: string } }
  | { type: 'event_delta'; event_id: string; delta: { type: 'content_delta'; index?: number; content: { type: 'text'; text: string } } };

/** Sent to open streams when a session is deleted; never persisted. */
export interface SessionDeletedEvent { type: 'session.deleted'; id: string; processed_at: string }

/** Client event types that a session treats as work to start or continue a turn. */
export const WORK_EVENT_TYPES: ReadonlySet<string> = new Set(['user.message', 'user.define_outcome']);

/** Client event types that resolve a blocking tool use. */
export const SETTLE_EVENT_TYPES: ReadonlySet<string> = new Set([
  'user.tool_confirmation',
  'user.tool_result',
  'user.custom_tool_result',
  'user.interrupt',
]);
