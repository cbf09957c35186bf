import type { ToolUse } from '../session-state.js';
import { errorResult, INTERRUPTED_MESSAGE } from './lifecycle.js';
import type { TurnContext } from './turn-context.js';

function denialText(turn: TurnContext, use: ToolUse): string {
  if (use.confirmation?.result === 'deny') {
    const reason = use.confirmation.denyMessage ? ` Their message: ${use.confirmation.denyMessage}` : '';
    return `The user denied this call to ${use.name}; it did not run.${reason}`;
  }
  if (use.kind === 'mcp') return `MCP tools are not available in this deployment; ${use.name} did not run.`;
  if (!turn.deps.builtinTools.includes(use.name)) return `There is no tool named ${use.name}. Use one of the tools offered.`;
  return `The ${use.name} tool is not enabled for this agent; the call did not run.`;
}

/**
 * Settles one tool call: runs it, denies it, or reports that an earlier process was cut off
 * while running it. Exactly one result is appended per call.
 *
 * @returns false when the run must stop (its signal was aborted for a reason other than an interrupt).
 */
export async function toolStep(
  turn: TurnContext,
  use: ToolUse,
  mode: 'run' | 'deny' | 'interrupted',
  signals: { run: AbortSignal; interrupt: AbortSignal },
): Promise<boolean> {
  if (mode === 'deny') {
    await turn.append([errorResult(use, denialText(turn, use))]);
    return true;
  }
  if (mode === 'interrupted') {
    await turn.append([
      errorResult(use, `This ${use.name} call was cut off when the process running it stopped. It may or may not have taken effect; check before running it again.`),
    ]);
    return true;
  }
  const signal = AbortSignal.any([signals.run, signals.interrupt]);
  let outcome;
  try {
    outcome = await turn.deps.tools.execute(
      { sessionId: turn.sessionId, toolUseId: use.event.event.id, name: use.name, input: use.input, tools: turn.session.agent.tools },
      signal,
    );
  } catch (error) {
    if (signals.run.aborted) return false;
    if (signals.interrupt.aborted) outcome = { content: [{ type: 'text' as const, text: INTERRUPTED_MESSAGE }], isError: true };
    else outcome = { content: [{ type: 'text' as const, text: `The ${use.name} tool failed: ${(error as Error).message}` }], isError: true };
  }
  if (signals.run.aborted) return false;
  // An interrupt that arrives as a call finishes keeps the call's real result.
  await turn.append([{ body: { type: 'agent.tool_result', tool_use_id: use.event.event.id, content: outcome.content, is_error: outcome.isError } }]);
  return true;
}
