import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type { Model, ModelBlock, ModelRequest, ModelResponse, ModelStopReason, ModelStreamEvent } from '../model.js';
import { kindOfStatus, ModelError, retryAfterMs } from '../model-error.js';
import { toAnthropicBody } from './anthropic-request.js';

export interface AnthropicModelOptions {
  /** Defaults to `ANTHROPIC_API_KEY`. */
  apiKey?: string | undefined;
  /** Defaults to `ANTHROPIC_BASE_URL`, then the public API. */
  baseURL?: string | undefined;
  contextWindow?: number;
  /** Per-request time limit until the response starts. */
  timeoutMs?: number;
  /** Whether to ask for adaptive thinking. */
  thinking?: 'adaptive' | 'off';
}

interface Draft {
  kind: 'text' | 'thinking' | 'redacted_thinking' | 'tool_use';
  text: string;
  signature: string;
  data: string;
  id: string;
  name: string;
  json: string;
}

const STOP: Record<string, ModelStopReason> = {
  end_turn: 'end_turn',
  tool_use: 'tool_use',
  max_tokens: 'max_tokens',
  stop_sequence: 'stop_sequence',
  refusal: 'refusal',
  pause_turn: 'pause_turn',
  model_context_window_exceeded: 'context_exceeded',
};

function classify(error: unknown): unknown {
  if (error instanceof APIUserAbortError) return error;
  if (error instanceof APIConnectionTimeoutError) return new ModelError('timeout', 'the model request timed out');
  if (error instanceof APIConnectionError) return new ModelError('connection', `could not reach the model provider: ${error.message}`);
  if (error instanceof APIError && error.status !== undefined) {
    const message = (error.error as { error?: { message?: string } } | undefined)?.error?.message ?? error.message;
    return new ModelError(kindOfStatus(error.status), `model provider answered ${error.status}: ${message}`, retryAfterMs(error.headers));
  }
  if (error instanceof APIError) return new ModelError('stream_cut', `the model stream failed: ${error.message}`);
  return error;
}

function finish(draft: Draft): ModelBlock {
  switch (draft.kind) {
    case 'text':
      return { type: 'text', text: draft.text };
    case 'thinking':
      return { type: 'thinking', thinking: draft.text, signature: draft.signature };
    case 'redacted_thinking':
      return { type: 'redacted_thinking', data: draft.data };
    case 'tool_use': {
      let input: Record<string, unknown> = {};
      if (draft.json.trim() !== '') {
        try {
          input = JSON.parse(draft.json) as Record<string, unknown>;
        } catch {
          throw new ModelError('stream_cut', `the model sent malformed tool input for ${draft.name}`);
        }
      }
      return { type: 'tool_use', id: draft.id, name: draft.name, input };
    }
  }
}

/** The Anthropic Messages API through the official SDK, streamed. Retries are the harness's job. */
export class AnthropicModel implements Model {
  readonly contextWindow: number;
  private readonly client: Anthropic;

  constructor(private readonly options: AnthropicModelOptions = {}) {
    this.contextWindow = options.contextWindow ?? 200_000;
    this.client = new Anthropic({
      apiKey: options.apiKey ?? process.env.ANTHROPIC_API_KEY ?? null,
      baseURL: options.baseURL ?? process.env.ANTHROPIC_BASE_URL ?? null,
      maxRetries: 0,
      timeout: options.timeoutMs ?? 600_000,
    });
  }

  async *stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelStreamEvent> {
    const body = toAnthropicBody(request, { thinking: this.options.thinking ?? 'off' });
    const drafts: Draft[] = [];
    const usage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    let stopReason: ModelStopReason = 'end_turn';
    let stopDetails: ModelResponse['stopDetails'];
    let stopped = false;
    try {
      const stream = (await this.client.messages.create(body as never, { signal })) as unknown as AsyncIterable<Record<string, any>>;
      for await (const event of stream) {
        switch (event.type) {
          case 'message_start': {
            const u = event.message?.usage ?? {};
            usage.input_tokens = u.input_tokens ?? 0;
            usage.cache_creation_input_tokens = u.cache_creation_input_tokens ?? 0;
            usage.cache_read_input_tokens = u.cache_read_input_tokens ?? 0;
            usage.output_tokens = u.output_tokens ?? 0;
            break;
          }
          case 'content_block_start': {
            const b = event.content_block ?? {};
            const kind = b.type === 'thinking' || b.type === 'redacted_thinking' || b.type === 'tool_use' ? b.type : 'text';
            drafts[event.index] = { kind, text: b.text ?? b.thinking ?? '', signature: b.signature ?? '', data: b.data ?? '', id: b.id ?? '', name: b.name ?? '', json: '' };
            yield { type: 'block_start', index: event.index, kind };
            if (kind === 'text' && b.text) yield { type: 'text_delta', index: event.index, text: b.text };
            break;
          }
          case 'content_block_delta': {
            const draft = drafts[event.index];
            const d = event.delta ?? {};
            if (!draft) break;
            if (d.type === 'text_delta') {
              draft.text += d.text;
              yield { type: 'text_delta', index: event.index, text: d.text };
            } else if (d.type === 'thinking_delta') draft.text += d.thinking;
            else if (d.type === 'signature_delta') draft.signature += d.signature;
            else if (d.type === 'input_json_delta') draft.json += d.partial_json;
            break;
          }
          case 'message_delta': {
            if (event.delta?.stop_reason) stopReason = STOP[event.delta.stop_reason] ?? 'end_turn';
            if (event.delta?.stop_details) {
              stopDetails = { category: event.delta.stop_details.category ?? null, explanation: event.delta.stop_details.explanation ?? null };
            }
            if (event.usage?.output_tokens !== undefined) usage.output_tokens = event.usage.output_tokens;
            if (event.usage?.input_tokens) usage.input_tokens = event.usage.input_tokens;
            break;
          }
          case 'message_stop':
            stopped = true;
            break;
          case 'error':
            throw new ModelError('overloaded', `the model stream reported an error: ${JSON.stringify(event.error ?? event)}`);
          default:
            break;
        }
      }
    } catch (error) {
      throw classify(error);
    }
    if (!stopped) throw new ModelError('stream_cut', 'the model stream ended before the response was complete');
    const response: ModelResponse = { content: drafts.filter(Boolean).map(finish), stopReason, usage };
    if (stopDetails) response.stopDetails = stopDetails;
    yield { type: 'response', response };
  }
}
