import type { Model, ModelRequest } from '../model/model.js';
import { buildMessages, estimateTokens } from '../context.js';
import { costMicros, priceOf } from '../pricing.js';
import { exhaustTurn, handleModelFailure } from './retry.js';
import type { TurnContext } from './turn-context.js';

const SUMMARY_INSTRUCTION = `Your context is nearly full, so this conversation will be replaced by your summary of it.
Write the summary now. Include: the user's goals and every instruction still in force; what has been done
and what was found (files, commands, results, decisions, with exact paths and names); what is in progress;
and the next steps. Be complete and concrete: you will continue from this summary alone.`;

/**
 * Replaces the model's view of the session with a summary: the older conversation is summarised
 * by a model call, and `agent.thread_context_compacted` records the summary. History is not
 * rewritten; the context is rebuilt from the summary and what follows it.
 */
export async function compact(
  turn: TurnContext,
  model: Model,
  base: ModelRequest,
  signals: { run: AbortSignal; interrupt: AbortSignal },
): Promise<void> {
  const { state, deps } = turn;
  if (state.consecutiveCompactions >= deps.config.maxConsecutiveCompactions) {
    await exhaustTurn(
      turn,
      'compaction_limit_reached_error',
      `the context was compacted ${state.consecutiveCompactions} times in a row without progress; the turn stops`,
    );
    return;
  }
  const throughSeq = state.lastSeq;
  let messages = buildMessages(state);
  const preTokens = estimateTokens(messages) + estimateTokens(base.system ?? '') + estimateTokens(base.tools);
  // The summary request must itself fit: drop the oldest exchanges until it does.
  const budget = model.contextWindow * 0.9 - deps.config.maxOutputTokens;
  while (messages.length > 2 && estimateTokens(messages) > budget) messages = messages.slice(2);
  if (messages[0]?.role !== 'user') messages.unshift({ role: 'user', content: [{ type: 'text', text: '(earlier conversation omitted)' }] });
  messages.push({ role: 'user', content: [{ type: 'text', text: SUMMARY_INSTRUCTION }] });
  const request: ModelRequest = { ...base, messages, tools: base.tools, cacheAfter: [] };
  const [span] = await turn.append([{ body: { type: 'span.model_request_start' }, internal: { purpose: 'compaction' } }]);
  try {
    let summary = '';
    let usage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    for await (const event of model.stream(request, AbortSignal.any([signals.run, signals.interrupt]))) {
      if (event.type === 'response') {
        summary = event.response.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n').trim();
        usage = event.response.usage;
      }
    }
    const price = priceOf(deps.prices, base.model.id);
    await turn.append([
      {
        body: { type: 'span.model_request_end', model_request_start_id: span!.event.id, is_error: false, model_usage: { ...usage, speed: base.model.speed ?? null } },
        internal: { cost_micros: price ? costMicros(price, usage) : 0, purpose: 'compaction' },
      },
      { body: { type: 'agent.thread_context_compacted', pre_compaction_tokens: preTokens }, internal: { summary: summary || '(no summary)', through_seq: throughSeq } },
    ]);
  } catch (error) {
    await handleModelFailure(turn, error, span, 'compaction', signals);
  }
}
