import type { SessionAgent, ToolResultContentBlockT, UserContentBlockT } from '@longhand/protocol';
import type { StoredEvent } from '@longhand/store';
import type { ModelBlock, ModelMessage, ModelRequest, ToolSpec } from './model/model.js';
import type { SessionState } from './session-state.js';

const RESULT_TYPES = new Set(['agent.tool_result', 'agent.mcp_tool_result', 'user.custom_tool_result', 'user.tool_result']);

function userBlocks(content: readonly UserContentBlockT[]): ModelBlock[] {
  const out: ModelBlock[] = [];
  for (const block of content) {
    if (block.type === 'text') out.push({ type: 'text', text: block.text });
    else if (block.type === 'image' || block.type === 'document') {
      if (block.source.type === 'file') out.push({ type: 'text', text: `[attached file ${block.source.file_id}]` });
      else out.push(block as ModelBlock);
    }
  }
  return out;
}

class Conversation {
  readonly messages: ModelMessage[] = [];

  push(role: ModelMessage['role'], blocks: ModelBlock[]): void {
    if (blocks.length === 0) return;
    const last = this.messages[this.messages.length - 1];
    if (last && last.role === role && role !== 'system') last.content.push(...blocks);
    else this.messages.push({ role, content: [...blocks] });
  }
}

/**
 * The model's view of a session: a projection of the log from the last compaction on.
 * Client input counts where the harness took it up (its redelivery), so messages queued during
 * a turn enter the conversation after that turn, in order.
 */
export function buildMessages(state: SessionState): ModelMessage[] {
  const conversation = new Conversation();
  const from = state.compaction?.throughSeq ?? 0;
  if (state.compaction) {
    conversation.push('user', [
      { type: 'text', text: `This session continues from earlier work, summarised here:\n\n${state.compaction.summary}` },
    ]);
  }
  let assistant: ModelBlock[] | undefined;
  for (const stored of state.events) {
    if (stored.seq <= from) continue;
    const { event } = stored;
    if (RESULT_TYPES.has(event.type) && !stored.redelivery) {
      const e = event as { tool_use_id?: string; custom_tool_use_id?: string; mcp_tool_use_id?: string; content?: ToolResultContentBlockT[]; is_error?: boolean | null };
      const ref = e.tool_use_id ?? e.custom_tool_use_id ?? e.mcp_tool_use_id ?? '';
      conversation.push('user', [{ type: 'tool_result', tool_use_id: ref, content: e.content ?? [], is_error: Boolean(e.is_error) }]);
      continue;
    }
    switch (event.type) {
      case 'span.model_request_start':
        assistant = stored.internal?.purpose === 'compaction' ? undefined : [];
        break;
      case 'agent.thinking': {
        const internal = stored.internal as { thinking?: string; signature?: string; redacted?: string } | null;
        if (assistant && internal?.redacted) assistant.push({ type: 'redacted_thinking', data: internal.redacted });
        else if (assistant && internal?.signature) assistant.push({ type: 'thinking', thinking: internal.thinking ?? '', signature: internal.signature });
        break;
      }
      case 'agent.message':
        for (const block of event.content) if (block.type === 'text' && block.text !== '') assistant?.push({ type: 'text', text: block.text });
        break;
      case 'agent.tool_use':
      case 'agent.custom_tool_use':
      case 'agent.mcp_tool_use':
        assistant?.push({ type: 'tool_use', id: event.id, name: event.name, input: event.input });
        break;
      case 'span.model_request_end':
        if (assistant && !event.is_error) conversation.push('assistant', assistant);
        assistant = undefined;
        break;
      case 'user.message':
        if (stored.redelivery) conversation.push('user', userBlocks(event.content));
        break;
      case 'system.message':
        if (stored.redelivery) conversation.push('system', event.content.map((b) => ({ type: 'text' as const, text: b.text })));
        break;
      case 'span.outcome_evaluation_end':
        if (event.result === 'needs_revision') {
          conversation.push('user', [
            {
              type: 'text',
              text: `An independent evaluator checked your work against the rubric (revision ${event.iteration + 1}) and found that it needs revision:\n\n${event.explanation}\n\nRevise your work so that it satisfies the rubric.`,
            },
          ]);
        } else if (event.result === 'max_iterations_reached') {
          conversation.push('user', [
            {
              type: 'text',
              text: `The evaluator still found problems, and no revisions are left:\n\n${event.explanation}\n\nStop revising. Briefly tell the user the final state of the work and what is still missing.`,
            },
          ]);
        }
        break;
      case 'user.define_outcome':
        conversation.push('user', [
          {
            type: 'text',
            text: `Work towards this outcome until it is achieved:\n${event.description}\n\nIt will be judged against this rubric:\n${
              event.rubric.type === 'text' ? event.rubric.content : `(rubric in file ${event.rubric.file_id})`
            }`,
          },
        ]);
        break;
      default:
        break;
    }
  }
  // The Messages API wants the conversation to open with a user turn.
  if (conversation.messages[0]?.role !== 'user') conversation.messages.unshift({ role: 'user', content: [{ type: 'text', text: '(session start)' }] });
  return conversation.messages;
}

/** A rough token count: four characters a token, as providers' tokenizers average for prose and code. */
export function estimateTokens(value: unknown): number {
  return Math.ceil(JSON.stringify(value).length / 4);
}

/** Tokens the next request will carry: the last request's count plus what was added since. */
export function estimateContextTokens(state: SessionState, system: string | null, tools: ToolSpec[]): number {
  if (state.lastInputSeq === 0 || (state.compaction && state.compaction.throughSeq >= state.lastInputSeq)) {
    return estimateTokens(buildMessages(state)) + estimateTokens(system ?? '') + estimateTokens(tools);
  }
  const added = state.events.filter((e) => e.seq > state.lastInputSeq).map((e) => e.event);
  return state.lastInputTokens + estimateTokens(added);
}

/** The request for the next model call of a session. */
export function buildRequest(state: SessionState, agent: SessionAgent, tools: ToolSpec[], system: string | null, maxTokens: number): ModelRequest {
  const messages = buildMessages(state);
  const userIndexes = messages.flatMap((m, i) => (m.role === 'user' ? [i] : []));
  return { model: agent.model, system, messages, tools, maxTokens, cacheAfter: userIndexes.slice(-2) };
}

/** The system prompt: the agent's own, then what the session's sandbox offers. */
export function systemPrompt(agent: SessionAgent, appendix: string | undefined): string | null {
  const parts = [agent.system ?? '', appendix ?? ''].filter((part) => part.trim() !== '');
  return parts.length > 0 ? parts.join('\n\n') : null;
}

/** Events since a seq, for callers that need the tail of the log. */
export function eventsAfter(events: readonly StoredEvent[], seq: number): StoredEvent[] {
  return events.filter((event) => event.seq > seq);
}
