import { newId, type CustomTool } from '@longhand/protocol';
import type { EventDraft } from '@longhand/store';
import { buildRequest, estimateContextTokens, systemPrompt } from '../context.js';
import type { ModelResponse, ToolSpec } from '../model/model.js';
import { ModelError } from '../model/model-error.js';
import { decide, enabledBuiltins } from '../permissions.js';
import { costMicros, priceOf } from '../pricing.js';
import { compact } from './compaction.js';
import { exhaustTurn, handleModelFailure } from './retry.js';
import type { TurnContext } from './turn-context.js';

type Signals = { run: AbortSignal; interrupt: AbortSignal };

function toolSpecs(turn: TurnContext): ToolSpec[] {
  const agent = turn.session.agent;
  const builtins = turn.deps.tools.specs(enabledBuiltins(agent.tools, turn.deps.builtinTools));
  const custom = agent.tools
    .filter((tool): tool is CustomTool => tool.type === 'custom')
    .map((tool) => ({ name: tool.name, description: tool.description, input_schema: tool.input_schema as Record<string, unknown> }));
  return [...builtins, ...custom];
}

/** The events one response adds to the log, in content order, ending with its span. */
function responseEvents(turn: TurnContext, response: ModelResponse, spanId: string, ids: Map<number, string>): { drafts: EventDraft[]; toolUses: number } {
  const agent = turn.session.agent;
  const drafts: EventDraft[] = [];
  let toolUses = 0;
  response.content.forEach((block, index) => {
    const id = ids.get(index) ?? newId('event');
    if (block.type === 'thinking') drafts.push({ id, body: { type: 'agent.thinking' }, internal: { thinking: block.thinking, signature: block.signature } });
    else if (block.type === 'redacted_thinking') drafts.push({ id, body: { type: 'agent.thinking' }, internal: { redacted: block.data } });
    else if (block.type === 'text' && block.text !== '') drafts.push({ id, body: { type: 'agent.message', content: [{ type: 'text', text: block.text }] } });
    else if (block.type === 'tool_use') {
      toolUses += 1;
      const decision = decide(agent.tools, block.name, turn.deps.builtinTools);
      const internal = { model_tool_use_id: block.id };
      if (decision.kind === 'custom') drafts.push({ id, body: { type: 'agent.custom_tool_use', name: block.name, input: block.input }, internal });
      else {
        drafts.push({
          id,
          body: {
            type: 'agent.tool_use',
            name: block.name,
            input: block.input,
            evaluated_permission: decision.permission!,
            ...(decision.evaluation ? { evaluation: decision.evaluation } : {}),
          },
          internal,
        });
      }
    }
  });
  const price = priceOf(turn.deps.prices, agent.model.id);
  // A context-window overflow or a paused server turn needs another request, not an idle.
  const continues = response.stopReason === 'context_exceeded' || response.stopReason === 'pause_turn';
  drafts.push({
    body: { type: 'span.model_request_end', model_request_start_id: spanId, is_error: false, model_usage: { ...response.usage, speed: agent.model.speed ?? null } },
    internal: { cost_micros: price ? costMicros(price, response.usage) : 0, stop_reason: response.stopReason, tool_uses: continues ? -1 : toolUses, purpose: 'turn' },
  });
  return { drafts, toolUses: continues ? -1 : toolUses };
}

/**
 * One model request of a turn: checks the budget and round limit, compacts the context when it
 * nears the window, streams the response (publishing previews), and appends the whole
 * response at once with its span, so an aborted stream never leaves part of a message behind.
 */
export async function modelStep(turn: TurnContext, signals: Signals, forceCompaction: boolean): Promise<void> {
  const { state, deps, session } = turn;
  const agent = session.agent;
  if (session.budget) {
    const price = priceOf(deps.prices, agent.model.id);
    const capMicros = Number(session.budget.max_list_cost.amount) * 10_000;
    if (!price || state.usage.costMicros >= capMicros) {
      await turn.append(turn.idleEvents({ type: 'budget_reached' }));
      return;
    }
  }
  if (state.turnRounds >= deps.config.maxToolRounds) {
    await exhaustTurn(turn, 'tool_use_limit_reached_error', `the turn reached its limit of ${deps.config.maxToolRounds} model requests`);
    return;
  }
  let model;
  try {
    model = deps.models.resolve(agent.model);
  } catch (error) {
    await handleModelFailure(turn, new ModelError('invalid_request', (error as Error).message), undefined, 'turn', signals);
    return;
  }
  const tools = toolSpecs(turn);
  const system = systemPrompt(agent, deps.config.systemAppendix);
  const request = buildRequest(state, agent, tools, system, deps.config.maxOutputTokens);
  if (forceCompaction || estimateContextTokens(state, system, tools) > deps.config.compactionThreshold * model.contextWindow) {
    await compact(turn, model, request, signals);
    return;
  }
  const [span] = await turn.append([{ body: { type: 'span.model_request_start' }, internal: { purpose: 'turn' } }]);
  const ids = new Map<number, string>();
  const publish = deps.previews ? (preview: Parameters<NonNullable<typeof deps.previews>['publish']>[1]) => deps.previews!.publish(turn.sessionId, preview) : undefined;
  let response: ModelResponse | undefined;
  try {
    for await (const event of model.stream(request, AbortSignal.any([signals.run, signals.interrupt]))) {
      if (event.type === 'block_start' && (event.kind === 'text' || event.kind === 'thinking')) {
        const id = newId('event');
        ids.set(event.index, id);
        publish?.({ type: 'event_start', event: { type: event.kind === 'text' ? 'agent.message' : 'agent.thinking', id } });
      } else if (event.type === 'block_start') ids.set(event.index, newId('event'));
      else if (event.type === 'text_delta') {
        const id = ids.get(event.index);
        if (id) publish?.({ type: 'event_delta', event_id: id, delta: { type: 'content_delta', index: 0, content: { type: 'text', text: event.text } } });
      } else response = event.response;
    }
    if (!response) throw new Error('the model stream ended without a response');
  } catch (error) {
    await handleModelFailure(turn, error, span, 'turn', signals);
    return;
  }
  const { drafts, toolUses } = responseEvents(turn, response, span!.event.id, ids);
  await turn.append(drafts);
  if (toolUses !== 0) return;
  // Work on an outcome is judged before the turn may end.
  if (turn.state.outcome?.state === 'working' && response.stopReason !== 'refusal') return;
  if (response.stopReason === 'refusal') {
    const details = response.stopDetails ?? { category: null, explanation: null };
    await turn.append(turn.idleEvents({ type: 'refusal' }, { type: 'refusal', category: details.category, explanation: details.explanation }));
    return;
  }
  await turn.append(turn.idleEvents({ type: 'end_turn' }));
}
