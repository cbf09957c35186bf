import type { ModelConfig, ToolResultContentBlockT } from '@longhand/protocol';

/** Content of a model conversation, provider-neutral (close to the Messages API). */
export type ModelBlock =
  | { type: 'text'; text: string }
  | { type: 'image'; source: Record<string, unknown> }
  | { type: 'document'; source: Record<string, unknown>; title?: string | null; context?: string | null }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | { type: 'tool_result'; tool_use_id: string; content: ToolResultContentBlockT[]; is_error: boolean };

export interface ModelMessage {
  /** `system` messages carry mid-conversation system context (`system.message`). */
  role: 'user' | 'assistant' | 'system';
  content: ModelBlock[];
}

export interface ToolSpec {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
}

export interface ModelRequest {
  model: ModelConfig;
  system: string | null;
  messages: ModelMessage[];
  tools: ToolSpec[];
  maxTokens: number;
  /** Indexes of messages after which a prompt-cache breakpoint goes (adapters without caching ignore them). */
  cacheAfter: number[];
}

export interface ModelUsageCounts {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export type ModelStopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence' | 'refusal' | 'pause_turn' | 'context_exceeded';

export interface ModelResponse {
  content: ModelBlock[];
  stopReason: ModelStopReason;
  stopDetails?: { category: string | null; explanation: string | null };
  usage: ModelUsageCounts;
}

/** What a model stream yields: live pieces for previews, then the whole response once. */
export type ModelStreamEvent =
  | { type: 'block_start'; index: number; kind: 'text' | 'thinking' | 'redacted_thinking' | 'tool_use' }
  | { type: 'text_delta'; index: number; text: string }
  | { type: 'response'; response: ModelResponse };

/**
 * A model the harness can call. Adapters turn provider failures into `ModelError` so the
 * harness can decide between retrying and giving up.
 */
export interface Model {
  /** Tokens of context the model accepts; compaction keeps requests below it. */
  readonly contextWindow: number;
  /**
   * Streams one response. The stream ends with exactly one `response` event; aborting
   * `signal` cancels the request at once.
   * @throws ModelError
   */
  stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelStreamEvent>;
}

/** Picks the model adapter for a model config (by id), e.g. from a provider table. */
export interface ModelRouter {
  resolve(model: ModelConfig): Model;
}
