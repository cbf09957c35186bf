import type { EventDraft, StoredEvent } from '@longhand/store';
import type { ToolUse } from '../session-state.js';
import type { TurnContext } from './turn-context.js';

export const INTERRUPTED_MESSAGE = 'Tool execution was interrupted before completion. Please retry.';

/** An error result closing a tool call, whatever kind of tool it was. */
export function errorResult(use: ToolUse, text: string): EventDraft {
  const body =
    use.kind === 'mcp'
      ? { type: 'agent.mcp_tool_result' as const, mcp_tool_use_id: use.event.event.id, content: [{ type: 'text' as const, text }], is_error: true }
      : { type: 'agent.tool_result' as const, tool_use_id: use.event.event.id, content: [{ type: 'text' as const, text }], is_error: true };
  return { body };
}

/** Pending user input starts a turn: running, then the inputs taken up in order. */
export async function startTurn(turn: TurnContext, inputs: readonly StoredEvent[]): Promise<void> {
  await turn.append([...turn.runningEvents(), ...turn.processed(inputs)]);
}

/** Blocking calls are resolved (or the budget was raised, or a retry is due): the turn goes on. */
export async function resume(turn: TurnContext): Promise<void> {
  const confirmations = turn.state.pending.filter((p) => p.event.type === 'user.tool_confirmation');
  await turn.append([...turn.runningEvents(), ...turn.processed(confirmations)]);
}

/**
 * The client sent a new message instead of answering: close the calls it left open with an
 * error the model can read, and go on with the message.
 */
export async function supersede(turn: TurnContext, stale: readonly ToolUse[], inputs: readonly StoredEvent[]): Promise<void> {
  const confirmations = turn.state.pending.filter((p) => p.event.type === 'user.tool_confirmation');
  await turn.append([
    ...stale.map((use) => errorResult(use, 'No answer was given for this call before the user sent a new message; it did not run.')),
    ...turn.runningEvents(),
    ...turn.processed(confirmations),
    ...turn.processed(inputs),
  ]);
}

/** Waits for the client: idle with `requires_action` naming the calls it must answer. */
export async function block(turn: TurnContext, ids: string[]): Promise<void> {
  await turn.append(turn.idleEvents({ type: 'requires_action', event_ids: ids }));
}

/** `user.interrupt`: close every open call, take the interrupt up, and end the turn (spec 5.6). */
export async function interrupt(turn: TurnContext, event: StoredEvent): Promise<void> {
  const open = turn.state.unresolved().map((use) => errorResult(use, INTERRUPTED_MESSAGE));
  const outcome = turn.state.outcome;
  const evaluation: EventDraft[] =
    outcome?.state === 'evaluating' && outcome.evaluation
      ? [
          {
            body: {
              type: 'span.outcome_evaluation_end',
              outcome_id: outcome.id,
              outcome_evaluation_start_id: outcome.evaluation.event.id,
              iteration: outcome.iteration,
              result: 'interrupted',
              explanation: 'The evaluation was interrupted by the user.',
              usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
            },
          },
        ]
      : [];
  await turn.append([...open, ...evaluation, { processed: event.event.id }, ...turn.idleEvents({ type: 'end_turn' })]);
}

/** Takes up client events that need no action (an interrupt while idle). */
export async function acknowledge(turn: TurnContext, inputs: readonly StoredEvent[]): Promise<void> {
  await turn.append(turn.processed(inputs));
}

/** The last response finished the turn but its idle was never written (the process died). */
export async function endTurn(turn: TurnContext): Promise<void> {
  const stop = turn.state.lastResponseStop === 'refusal' ? { type: 'refusal' as const } : { type: 'end_turn' as const };
  await turn.append(turn.idleEvents(stop));
}

/** A model request whose process died mid-stream: close its span; the request is made again. */
export async function closeOrphanSpan(turn: TurnContext, span: StoredEvent): Promise<void> {
  await turn.append([
    {
      body: {
        type: 'span.model_request_end',
        model_request_start_id: span.event.id,
        is_error: true,
        model_usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
      internal: { cost_micros: 0, purpose: span.internal?.purpose ?? 'turn', orphan: true },
    },
  ]);
}
