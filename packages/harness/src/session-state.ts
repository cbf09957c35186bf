import type { EvaluatedPermission, SessionEvent, StopReason } from '@longhand/protocol';
import type { StoredEvent } from '@longhand/store';
import { effectiveEvents } from './effective-log.js';

/** Where a session stands between turns, as its log says. */
export type Phase =
  /** No turn in progress. */
  | 'idle'
  /** A turn is in progress. */
  | 'running'
  /** A turn waits for the client: confirmations or tool results (`requires_action`). */
  | 'blocked'
  /** A turn is paused at the session's budget. */
  | 'paused'
  /** A turn failed transiently and waits to be retried. */
  | 'rescheduling'
  | 'terminated';

export interface ToolUse {
  event: StoredEvent;
  kind: 'builtin' | 'custom' | 'mcp';
  name: string;
  input: Record<string, unknown>;
  permission: EvaluatedPermission | undefined;
  /** The client's confirmation, when one arrived. */
  confirmation?: { result: 'allow' | 'deny'; denyMessage: string | null; eventId: string; takenUpSeq?: number };
  /** The event that answered the call (a tool result of any kind). */
  result?: StoredEvent;
}

/** The outcome a session works towards (spec 5.7), as far as the log has got. */
export interface OutcomeState {
  id: string;
  description: string;
  rubric: string;
  maxIterations: number;
  /** 0-based revision cycle. */
  iteration: number;
  /**
   * `pending`: defined, no turn yet; `working`: the agent works on it; `evaluating`: the grader
   * runs; `wrapping_up`: out of iterations, one last turn to acknowledge; `done`: final.
   */
  state: 'pending' | 'working' | 'evaluating' | 'wrapping_up' | 'done';
  /** The `span.outcome_evaluation_start` of an evaluation under way. */
  evaluation?: StoredEvent;
}

export interface UsageTotals {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  /** Exact list cost in micro-dollars. */
  costMicros: number;
  /** Server-side tool requests made (web_search, web_fetch). */
  webSearchRequests: number;
  webFetchRequests: number;
}

const CLIENT_QUEUED = new Set(['user.message', 'user.interrupt', 'user.tool_confirmation', 'system.message']);
const TOOL_USES: Record<string, ToolUse['kind']> = {
  'agent.tool_use': 'builtin',
  'agent.custom_tool_use': 'custom',
  'agent.mcp_tool_use': 'mcp',
};
const RESULTS = new Set(['agent.tool_result', 'agent.mcp_tool_result', 'user.custom_tool_result', 'user.tool_result']);

function refOf(event: SessionEvent): string | undefined {
  const e = event as { tool_use_id?: string; custom_tool_use_id?: string; mcp_tool_use_id?: string };
  return e.tool_use_id ?? e.custom_tool_use_id ?? e.mcp_tool_use_id;
}

/**
 * A session's state folded from its log. `apply` takes events in seq order; nothing else
 * changes it, so any process that reads the same log arrives at the same state.
 */
export class SessionState {
  lastSeq = 0;
  phase: Phase = 'idle';
  /** Every event of the log, in order (the context is built from these). */
  readonly events: StoredEvent[] = [];
  /** Queued client events not yet taken up, oldest first. */
  readonly pending: StoredEvent[] = [];
  /** Tool uses of the current turn by event id. */
  readonly toolUses = new Map<string, ToolUse>();
  /** Id of a `span.model_request_start` with no end yet. */
  openSpan: StoredEvent | undefined;
  /** Tool uses the last finished model response made; 0 means the response ended the turn. */
  lastResponseToolUses = 0;
  lastResponseStop: string | undefined;
  /** Model requests made in the current turn. */
  turnRounds = 0;
  /** Failed attempts since the last successful model response. */
  consecutiveErrors = 0;
  /** Compactions since the model last produced a message or a tool call. */
  consecutiveCompactions = 0;
  lastIdle: StopReason | undefined;
  readonly usage: UsageTotals = {
    input_tokens: 0,
    output_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
    costMicros: 0,
    webSearchRequests: 0,
    webFetchRequests: 0,
  };
  /** The latest compaction: its summary and the last seq it covers. */
  compaction: { summary: string; throughSeq: number } | undefined;
  /** The latest outcome, when one was defined. */
  outcome: OutcomeState | undefined;
  /** Seq of the `span.model_request_end` of the last successful response (for token estimates). */
  lastInputTokens = 0;
  lastInputSeq = 0;

  /**
   * The state of a whole log, restores included: the conversation and the turn are those of the
   * effective history, while usage counts every request ever made (what was spent stays spent).
   */
  static load(events: readonly StoredEvent[]): SessionState {
    const state = new SessionState();
    const kept = new Set(effectiveEvents(events).map((e) => e.seq));
    for (const stored of events) {
      if (kept.has(stored.seq)) state.apply(stored);
      else state.countUsage(stored);
    }
    return state;
  }

  /** Counts the usage of an event that is not part of the effective history. */
  private countUsage(stored: StoredEvent): void {
    const { event } = stored;
    if (event.type === 'span.model_request_end') this.addUsage(event.model_usage, Number(stored.internal?.cost_micros ?? 0));
    if (event.type === 'span.outcome_evaluation_end') this.addUsage(event.usage, Number(stored.internal?.cost_micros ?? 0));
  }

  apply(stored: StoredEvent): void {
    if (stored.seq <= this.lastSeq) return;
    this.lastSeq = stored.seq;
    this.events.push(stored);
    const { event } = stored;
    if (stored.redelivery) {
      const index = this.pending.findIndex((p) => p.event.id === event.id);
      if (index >= 0) this.pending.splice(index, 1);
      if (event.type === 'user.tool_confirmation') {
        const confirmation = this.toolUses.get(event.tool_use_id)?.confirmation;
        if (confirmation?.eventId === event.id) confirmation.takenUpSeq = stored.seq;
      }
      return;
    }
    if (CLIENT_QUEUED.has(event.type) && event.processed_at === null) this.pending.push(stored);
    const kind = TOOL_USES[event.type];
    if (kind) {
      const e = event as { name: string; input: Record<string, unknown>; evaluated_permission?: EvaluatedPermission };
      this.toolUses.set(event.id, { event: stored, kind, name: e.name, input: e.input, permission: e.evaluated_permission });
      this.consecutiveCompactions = 0;
      return;
    }
    if (RESULTS.has(event.type)) {
      const use = this.toolUses.get(refOf(event) ?? '');
      if (use && !use.result) {
        use.result = stored;
        if (event.type === 'agent.tool_result' && use.permission !== 'deny' && use.confirmation?.result !== 'deny') {
          if (use.name === 'web_search') this.usage.webSearchRequests += 1;
          if (use.name === 'web_fetch') this.usage.webFetchRequests += 1;
        }
      }
      return;
    }
    switch (event.type) {
      case 'user.define_outcome':
        this.outcome = {
          id: event.outcome_id,
          description: event.description,
          rubric: event.rubric.type === 'text' ? event.rubric.content : `(the rubric is in file ${event.rubric.file_id})`,
          maxIterations: event.max_iterations ?? 3,
          iteration: 0,
          state: 'pending',
        };
        break;
      case 'span.outcome_evaluation_start':
        if (this.outcome?.id === event.outcome_id) {
          this.outcome.state = 'evaluating';
          this.outcome.evaluation = stored;
        }
        break;
      case 'span.outcome_evaluation_end': {
        const outcome = this.outcome;
        this.addUsage(event.usage, Number(stored.internal?.cost_micros ?? 0));
        if (outcome?.id !== event.outcome_id) break;
        outcome.evaluation = undefined;
        if (event.result === 'needs_revision') {
          outcome.state = 'working';
          outcome.iteration = event.iteration + 1;
          this.lastResponseToolUses = -1;
        } else if (event.result === 'max_iterations_reached') {
          outcome.state = 'wrapping_up';
          this.lastResponseToolUses = -1;
        } else outcome.state = 'done';
        break;
      }
      case 'user.tool_confirmation': {
        const use = this.toolUses.get(event.tool_use_id);
        if (use && !use.confirmation) use.confirmation = { result: event.result, denyMessage: event.deny_message ?? null, eventId: event.id };
        break;
      }
      case 'agent.message':
        this.consecutiveCompactions = 0;
        break;
      case 'span.model_request_start':
        this.openSpan = stored;
        this.turnRounds += 1;
        break;
      case 'span.model_request_end': {
        this.openSpan = undefined;
        const u = event.model_usage;
        this.addUsage(u, Number(stored.internal?.cost_micros ?? 0));
        if (!event.is_error && stored.internal?.purpose !== 'compaction') {
          this.consecutiveErrors = 0;
          this.lastResponseToolUses = Number(stored.internal?.tool_uses ?? 0);
          this.lastResponseStop = String(stored.internal?.stop_reason ?? 'end_turn');
          this.lastInputTokens = u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens + u.output_tokens;
          this.lastInputSeq = stored.seq;
        }
        break;
      }
      case 'session.error':
        if (event.error.retry_status.type === 'retrying') this.consecutiveErrors += 1;
        else this.consecutiveErrors = 0;
        break;
      case 'agent.thread_context_compacted':
        this.compaction = { summary: String(stored.internal?.summary ?? ''), throughSeq: Number(stored.internal?.through_seq ?? stored.seq) };
        this.consecutiveCompactions += 1;
        this.lastResponseStop = undefined;
        break;
      case 'session.status_running':
        if (this.outcome?.state === 'pending') this.outcome.state = 'working';
        if (this.phase === 'idle') {
          this.toolUses.clear();
          this.turnRounds = 0;
          this.lastResponseToolUses = -1;
        }
        this.phase = 'running';
        break;
      case 'session.status_rescheduled':
        this.phase = 'rescheduling';
        break;
      case 'session.status_idle':
        if (this.outcome?.state === 'wrapping_up') this.outcome.state = 'done';
        this.lastIdle = event.stop_reason;
        this.phase = event.stop_reason.type === 'requires_action' ? 'blocked' : event.stop_reason.type === 'budget_reached' ? 'paused' : 'idle';
        break;
      case 'session.status_terminated':
        this.phase = 'terminated';
        break;
      default:
        break;
    }
  }

  private addUsage(u: { input_tokens: number; output_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number }, micros: number): void {
    this.usage.input_tokens += u.input_tokens;
    this.usage.output_tokens += u.output_tokens;
    this.usage.cache_read_input_tokens += u.cache_read_input_tokens;
    this.usage.cache_creation_input_tokens += u.cache_creation_input_tokens;
    this.usage.costMicros += micros;
  }

  /** Tool uses of the turn that have no result yet, in the order they were made. */
  unresolved(): ToolUse[] {
    return [...this.toolUses.values()].filter((use) => !use.result);
  }

  /** The oldest queued client event of a type. */
  firstPending(type: string): StoredEvent | undefined {
    return this.pending.find((p) => p.event.type === type);
  }
}
