import { isIdempotent, runTool, TOOL_NAMES, TOOL_SPECS, type SearchProvider } from '@longhand/tools';
import { textOutcome, type ToolCall, type ToolExecutor, type ToolOutcome } from '@longhand/harness';
import type { ToolSpec } from '@longhand/harness';
import type { Hands } from './hands.js';

const SERVER_SIDE = new Set(['web_fetch', 'web_search']);

function restartRequested(input: unknown): boolean {
  return typeof input === 'object' && input !== null && (input as { restart?: unknown }).restart === true;
}

/** The built-in tool names this deployment can run. */
export const BUILTIN_TOOL_NAMES: readonly string[] = TOOL_NAMES;

/**
 * The built-in toolset for the harness: sandbox tools run in the session's sandbox (started or
 * resumed on demand); web_fetch runs on the server through the session's network policy;
 * web_search through the configured search provider.
 */
export class SandboxTools implements ToolExecutor {
  constructor(
    private readonly hands: Hands,
    private readonly search: SearchProvider | undefined,
  ) {}

  specs(enabled: readonly string[]): ToolSpec[] {
    return TOOL_SPECS.filter((spec) => enabled.includes(spec.name)).map((spec) => ({
      name: spec.name,
      description: spec.description,
      input_schema: spec.input_schema as Record<string, unknown>,
    }));
  }

  async execute(call: ToolCall, signal: AbortSignal): Promise<ToolOutcome> {
    let sandbox = null;
    if (!SERVER_SIDE.has(call.name)) {
      try {
        sandbox = await this.hands.sandbox(call.sessionId);
        // A fresh shell is only sure to be fresh in a fresh sandbox: `restart` stops every process
        // of it (background jobs too: a fork bomb holding every pid, a job that ignores signals)
        // and keeps its files; the call then starts it again.
        if (call.name === 'bash' && restartRequested(call.input)) await sandbox.suspend();
      } catch (error) {
        return textOutcome(`The sandbox could not be started: ${(error as Error).message}`, true);
      }
    }
    const result = await runTool(call.name, call.input, {
      sandbox,
      signal,
      agentTools: call.tools,
      webFetch: { fetcher: this.hands.fetcherFor(call.sessionId) },
      ...(this.search ? { webSearch: { provider: this.search } } : {}),
    });
    return { content: result.content as ToolOutcome['content'], isError: result.isError };
  }

  idempotent(name: string): boolean {
    return isIdempotent(name);
  }
}
