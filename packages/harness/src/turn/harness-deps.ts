import type { PreviewEvent } from '@longhand/protocol';
import type { EventLog, SessionTable } from '@longhand/store';
import type { ModelRouter } from '../model/model.js';
import type { PriceTable } from '../pricing.js';
import type { ToolExecutor } from '../tools.js';

/** Where live previews (`event_start` / `event_delta`) go; they are never persisted. */
export interface PreviewSink {
  publish(sessionId: string, preview: PreviewEvent): void;
}

/**
 * The automatic checkpoint at the end of a turn, in two steps: the workspace is frozen before
 * the idle is written (the turn's files are final by then, and this is the slow part), and the
 * checkpoint is recorded at the idle's seq right after, so a client that sees the idle finds it.
 */
export interface TurnCheckpoints {
  freeze(sessionId: string): Promise<unknown>;
  record(sessionId: string, seq: number, frozen: unknown): Promise<void>;
}

export interface HarnessConfig {
  /** Model requests one turn may make before it stops with `tool_use_limit_reached_error`. */
  maxToolRounds: number;
  /** Retries of a failing model request before the turn ends with `retries_exhausted`. */
  maxRetries: number;
  /** Backoff before retry n (1-based) in ms, before jitter; a provider's retry-after wins when longer. */
  backoffMs: (attempt: number) => number;
  /** Compact when a request would exceed this share of the model's context window. */
  compactionThreshold: number;
  /** Compactions in a row (without the model producing anything) before giving up. */
  maxConsecutiveCompactions: number;
  /** `max_tokens` of each request. */
  maxOutputTokens: number;
  /** Text added to every session's system prompt (what the sandbox offers). */
  systemAppendix?: string;
}

export const DEFAULT_HARNESS_CONFIG: HarnessConfig = {
  maxToolRounds: 200,
  maxRetries: 6,
  backoffMs: (attempt) => Math.min(60_000, 1000 * 2 ** (attempt - 1)),
  compactionThreshold: 0.8,
  maxConsecutiveCompactions: 3,
  maxOutputTokens: 16_384,
};

/** Everything the harness needs, as ports; the runtime's composition root supplies them. */
export interface HarnessDeps {
  log: EventLog;
  sessions: SessionTable;
  models: ModelRouter;
  tools: ToolExecutor;
  prices: PriceTable;
  previews?: PreviewSink;
  config: HarnessConfig;
  /** Checkpoints the session at the end of every turn; failures are logged, never thrown. */
  checkpoints?: TurnCheckpoints;
  /** Names of the built-in tools this deployment offers. */
  builtinTools: readonly string[];
  logger?: (message: string) => void;
}
