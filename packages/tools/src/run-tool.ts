/**
 * One entry point for the harness: run a built-in tool by name. Whatever happens, the answer is
 * a {@link ToolResult}; an unknown tool, a missing sandbox or a bug in a tool become error results
 * so the turn loop can record them as `agent.tool_result` events.
 */

import type { Sandbox } from '@longhand/sandbox';
import { bashTool, type BashOptions } from './bash/bash-tool.js';
import { editTool, type EditOptions } from './files/edit-tool.js';
import { readTool, type ReadOptions } from './files/read-tool.js';
import { writeTool } from './files/write-tool.js';
import { globTool, type GlobOptions } from './search/glob-tool.js';
import { grepTool, type GrepOptions } from './search/grep-tool.js';
import { errorMessage } from './sandbox-failure.js';
import { errorResult, type ToolResult } from './tool-result.js';
import { TOOL_NAMES, type ToolName } from './tool-specs.js';
import { webFetchTool, type WebFetchOptions } from './web/web-fetch-tool.js';
import { webSearchTool, type WebSearchOptions } from './web/web-search-tool.js';
import { webFetchConfigOf, webSearchConfigOf } from './web/web-tool-config.js';

export interface ToolContext {
  /** The session's sandbox. Only web_fetch and web_search run without one. */
  sandbox?: Sandbox | null;
  /** Aborting stops the call (`user.interrupt`). */
  signal?: AbortSignal;
  /**
   * The agent's `tools` array. When given, the web tools' `allowed_domains`, `blocked_domains`,
   * `max_content_tokens` and `user_location` are read from its toolset entry, unless
   * `webFetch.config` / `webSearch.config` are set explicitly.
   */
  agentTools?: readonly unknown[];
  bash?: Omit<BashOptions, 'signal'>;
  read?: ReadOptions;
  edit?: EditOptions;
  glob?: Omit<GlobOptions, 'signal'>;
  grep?: Omit<GrepOptions, 'signal'>;
  webFetch?: Omit<WebFetchOptions, 'signal'>;
  webSearch?: Omit<WebSearchOptions, 'signal'>;
}

const IDEMPOTENT: ReadonlySet<string> = new Set<ToolName>(['read', 'glob', 'grep', 'web_fetch', 'web_search']);

/**
 * Whether running the tool twice is harmless, so a call interrupted by a crash may simply run
 * again. bash, write and edit change the workspace (an edit applied twice is not the same edit).
 */
export function isIdempotent(name: string): boolean {
  return IDEMPOTENT.has(name);
}

/** Whether `name` is one of the built-in tools. */
export function isToolName(name: string): name is ToolName {
  return (TOOL_NAMES as readonly string[]).includes(name);
}

type SandboxToolName = Exclude<ToolName, 'web_fetch' | 'web_search'>;

function runInSandbox(name: SandboxToolName, input: unknown, sandbox: Sandbox, context: ToolContext): Promise<ToolResult> {
  const signal = context.signal;
  switch (name) {
    case 'bash':
      return bashTool(input, sandbox, { ...context.bash, signal });
    case 'read':
      return readTool(input, sandbox, context.read);
    case 'write':
      return writeTool(input, sandbox);
    case 'edit':
      return editTool(input, sandbox, context.edit);
    case 'glob':
      return globTool(input, sandbox, { ...context.glob, signal });
    case 'grep':
      return grepTool(input, sandbox, { ...context.grep, signal });
  }
}

/**
 * Runs the built-in tool `name` on `input` (the model's JSON, unchecked). Never throws.
 *
 * @example
 * const result = await runTool('read', { file_path: 'README.md' }, { sandbox });
 * if (result.isError) console.log(result.content);
 */
export async function runTool(name: string, input: unknown, context: ToolContext): Promise<ToolResult> {
  if (!isToolName(name)) return errorResult(`There is no built-in tool named ${JSON.stringify(name)}; the tools are ${TOOL_NAMES.join(', ')}.`);
  if (context.signal?.aborted) return errorResult(`${name}: interrupted before it started`);
  try {
    if (name === 'web_fetch') {
      const config = context.webFetch?.config ?? (context.agentTools ? webFetchConfigOf(context.agentTools) : undefined);
      return await webFetchTool(input, null, { ...context.webFetch, config, signal: context.signal });
    }
    if (name === 'web_search') {
      const config = context.webSearch?.config ?? (context.agentTools ? webSearchConfigOf(context.agentTools) : undefined);
      return await webSearchTool(input, null, { ...context.webSearch, config, signal: context.signal });
    }
    if (!context.sandbox) return errorResult(`${name}: no sandbox is available for this session, so the tool cannot run`);
    return await runInSandbox(name, input, context.sandbox, context);
  } catch (err) {
    // Tools turn their own failures into results; reaching here is a bug, still reported as a result.
    return errorResult(`${name}: internal error: ${errorMessage(err)}`);
  }
}
