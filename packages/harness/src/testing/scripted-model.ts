import type { Model, ModelBlock, ModelRequest, ModelStreamEvent } from '../model/model.js';
import { ModelError, kindOfStatus } from '../model/model-error.js';
import { viewOf, type Script, type ScriptedReply } from './script.js';

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

/**
 * A model that answers from a script, in process. For unit tests of the harness; end-to-end
 * tests use the scripted HTTP servers so the real adapters run.
 */
export class ScriptedModel implements Model {
  readonly requests: ModelRequest[] = [];
  private calls = 0;

  constructor(
    private readonly script: Script,
    readonly contextWindow = 200_000,
  ) {}

  async *stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelStreamEvent> {
    this.requests.push(request);
    const messages = request.messages.map((m) => ({ role: m.role, content: m.content }));
    const reply: ScriptedReply = await this.script(
      viewOf(messages, request.system ?? '', request.tools.map((t) => t.name), request),
      this.calls++,
    );
    if ('error' in reply) {
      throw new ModelError(kindOfStatus(reply.error.status), reply.error.message ?? `scripted ${reply.error.status}`, reply.error.retryAfterSeconds ? reply.error.retryAfterSeconds * 1000 : undefined);
    }
    if ('hang' in reply) {
      await wait(2 ** 31 - 1, signal);
      return;
    }
    if ('cut' in reply) {
      yield { type: 'block_start', index: 0, kind: 'text' };
      if (reply.text) yield { type: 'text_delta', index: 0, text: reply.text };
      throw new ModelError('stream_cut', 'the scripted stream was cut');
    }
    // Like a real provider, count the request's tokens (roughly: four characters a token).
    const inputTokens = Math.ceil(JSON.stringify([request.system, request.messages, request.tools]).length / 4);
    const usage = { input_tokens: inputTokens, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    if ('refusal' in reply) {
      yield { type: 'response', response: { content: reply.text ? [{ type: 'text', text: reply.text }] : [], stopReason: 'refusal', stopDetails: reply.refusal, usage } };
      return;
    }
    if (reply.delayMs) await wait(reply.delayMs, signal);
    const content: ModelBlock[] = [];
    if (reply.thinking) {
      yield { type: 'block_start', index: content.length, kind: 'thinking' };
      content.push({ type: 'thinking', thinking: reply.thinking, signature: 'scripted-signature' });
    }
    if (reply.text !== undefined) {
      const index = content.length;
      yield { type: 'block_start', index, kind: 'text' };
      const chunks = Math.max(1, reply.chunks ?? 1);
      const size = Math.ceil(reply.text.length / chunks) || 1;
      for (let i = 0; i < reply.text.length; i += size) {
        if (i > 0 && reply.chunkDelayMs) await wait(reply.chunkDelayMs, signal);
        yield { type: 'text_delta', index, text: reply.text.slice(i, i + size) };
      }
      content.push({ type: 'text', text: reply.text });
    }
    for (const [i, use] of (reply.toolUses ?? []).entries()) {
      yield { type: 'block_start', index: content.length, kind: 'tool_use' };
      content.push({ type: 'tool_use', id: `toolu_scripted_${this.calls}_${i}`, name: use.name, input: use.input });
    }
    const stop = reply.stopReason === 'model_context_window_exceeded' ? 'context_exceeded' : (reply.stopReason ?? ((reply.toolUses?.length ?? 0) > 0 ? 'tool_use' : 'end_turn'));
    yield { type: 'response', response: { content, stopReason: stop, usage: { ...usage, ...reply.usage } } };
  }
}
