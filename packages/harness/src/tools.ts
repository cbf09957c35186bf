import type { AgentTool, ToolResultContentBlockT } from '@longhand/protocol';
import type { ToolSpec } from './model/model.js';

export interface ToolCall {
  sessionId: string;
  /** The `sevt_` id of the `agent.tool_use` event. */
  toolUseId: string;
  name: string;
  input: Record<string, unknown>;
  /** The session's tool configuration (for per-tool settings such as web_fetch domains). */
  tools: readonly AgentTool[];
}

export interface ToolOutcome {
  content: ToolResultContentBlockT[];
  isError: boolean;
}

/**
 * Runs the built-in toolset for the harness. Implementations reach the session's sandbox;
 * the harness never touches one itself.
 */
export interface ToolExecutor {
  /** Definitions to offer the model for the enabled built-in tools. */
  specs(enabled: readonly string[]): ToolSpec[];
  /**
   * Runs one call. Failures of the tool are outcomes with `isError`, not exceptions; aborting
   * `signal` stops the call at once.
   */
  execute(call: ToolCall, signal: AbortSignal): Promise<ToolOutcome>;
  /** Whether running the tool twice is harmless, so an interrupted call may simply run again. */
  idempotent(name: string): boolean;
}

/** A text-only outcome. */
export function textOutcome(text: string, isError = false): ToolOutcome {
  return { content: [{ type: 'text', text }], isError };
}
