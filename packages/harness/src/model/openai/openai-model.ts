import type { Model, ModelBlock, ModelRequest, ModelResponse, ModelStopReason, ModelStreamEvent } from '../model.js';
import { kindOfStatus, ModelError, retryAfterMs } from '../model-error.js';
import { toChatBody } from './openai-request.js';

export interface OpenAiModelOptions {
  /** The endpoint root, such as `http://127.0.0.1:11434/v1`. */
  baseURL: string;
  apiKey?: string | undefined;
  /** The model name the endpoint knows, when it differs from the agent's model id. */
  model?: string | undefined;
  contextWindow?: number;
  timeoutMs?: number;
}

const FINISH: Record<string, ModelStopReason> = {
  stop: 'end_turn',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  length: 'max_tokens',
  content_filter: 'refusal',
};

interface CallDraft {
  id: string;
  name: string;
  args: string;
}

/** Splits a server-sent-events body into the JSON payloads of its `data:` lines. */
async function* dataLines(body: ReadableStream<Uint8Array>): AsyncIterable<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (line.startsWith('data:')) yield line.slice(5).trim();
    }
  }
}

/** Any OpenAI-compatible chat-completions endpoint (Ollama, vLLM, llama.cpp, …), streamed. */
export class OpenAiModel implements Model {
  readonly contextWindow: number;

  constructor(private readonly options: OpenAiModelOptions) {
    this.contextWindow = options.contextWindow ?? 128_000;
  }

  async *stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelStreamEvent> {
    const url = `${this.options.baseURL.replace(/\/$/, '')}/chat/completions`;
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 600_000);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
        },
        body: JSON.stringify(toChatBody(request, this.options.model ?? request.model.id)),
        signal: AbortSignal.any([signal, timeout]),
      });
    } catch (error) {
      if (signal.aborted) throw error;
      if (timeout.aborted) throw new ModelError('timeout', 'the model request timed out');
      throw new ModelError('connection', `could not reach ${url}: ${(error as Error).message}`);
    }
    if (!response.ok || !response.body) {
      const text = await response.text().catch(() => '');
      throw new ModelError(kindOfStatus(response.status), `model endpoint answered ${response.status}: ${text.slice(0, 500)}`, retryAfterMs(response.headers));
    }
    let text = '';
    let textStarted = false;
    const calls: CallDraft[] = [];
    let finish: string | undefined;
    const usage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    let done = false;
    try {
      for await (const data of dataLines(response.body)) {
        if (data === '[DONE]') {
          done = true;
          break;
        }
        const chunk = JSON.parse(data) as Record<string, any>;
        if (chunk.error) throw new ModelError('server', `model endpoint reported: ${JSON.stringify(chunk.error).slice(0, 500)}`);
        if (chunk.usage) {
          usage.input_tokens = chunk.usage.prompt_tokens ?? 0;
          usage.output_tokens = chunk.usage.completion_tokens ?? 0;
          usage.cache_read_input_tokens = chunk.usage.prompt_tokens_details?.cached_tokens ?? 0;
          usage.input_tokens -= usage.cache_read_input_tokens;
        }
        const choice = chunk.choices?.[0];
        if (!choice) continue;
        const delta = choice.delta ?? {};
        if (typeof delta.content === 'string' && delta.content !== '') {
          if (!textStarted) {
            textStarted = true;
            yield { type: 'block_start', index: 0, kind: 'text' };
          }
          text += delta.content;
          yield { type: 'text_delta', index: 0, text: delta.content };
        }
        for (const call of delta.tool_calls ?? []) {
          const index = call.index ?? calls.length;
          const draft = (calls[index] ??= { id: '', name: '', args: '' });
          if (call.id) draft.id = call.id;
          if (call.function?.name) draft.name += call.function.name;
          if (call.function?.arguments) draft.args += call.function.arguments;
        }
        if (choice.finish_reason) finish = choice.finish_reason;
      }
    } catch (error) {
      if (signal.aborted || error instanceof ModelError) throw error;
      throw new ModelError('stream_cut', `the model stream broke: ${(error as Error).message}`);
    }
    if (!done && finish === undefined) throw new ModelError('stream_cut', 'the model stream ended before the response was complete');
    const content: ModelBlock[] = [];
    if (text !== '') content.push({ type: 'text', text });
    for (const [index, call] of calls.entries()) {
      if (!call) continue;
      let input: Record<string, unknown> = {};
      try {
        input = call.args.trim() === '' ? {} : (JSON.parse(call.args) as Record<string, unknown>);
      } catch {
        throw new ModelError('stream_cut', `the model sent malformed arguments for ${call.name}`);
      }
      content.push({ type: 'tool_use', id: call.id || `call_${index}`, name: call.name, input });
    }
    const stopReason = calls.length > 0 ? 'tool_use' : (FINISH[finish ?? 'stop'] ?? 'end_turn');
    const result: ModelResponse = { content, stopReason, usage };
    yield { type: 'response', response: result };
  }
}
