import type { ModelUsage } from '@longhand/protocol';
import type { EventDraft } from '@longhand/store';
import type { ModelRequest } from '../model/model.js';
import { ModelError } from '../model/model-error.js';
import { costMicros, priceOf } from '../pricing.js';
import type { SessionState } from '../session-state.js';
import type { TurnContext } from './turn-context.js';

const GRADER_SYSTEM = `You are an independent evaluator. You judge whether an agent's work satisfies a rubric.
You see the task, the rubric, and a transcript of what the agent did and said. Judge only the work shown.
Answer with one JSON object and nothing else:
{"result": "satisfied" | "needs_revision" | "failed", "explanation": "<what is met, what is missing, what to change>"}
Use "failed" only when the rubric cannot apply to this task at all.`;

const ONGOING_EVERY_MS = 15_000;

function text(content: unknown): string {
  if (!Array.isArray(content)) return '';
  return content.map((b: { type?: string; text?: string }) => (b.type === 'text' ? (b.text ?? '') : `[${b.type}]`)).join('\n');
}

/** What the agent did since the outcome was defined, as text the grader can read, newest kept. */
function transcript(state: SessionState, budgetChars: number): string {
  const outcomeAt = state.events.findIndex((e) => e.event.type === 'user.define_outcome' && e.event.outcome_id === state.outcome?.id);
  const lines: string[] = [];
  for (const { event, redelivery } of state.events.slice(Math.max(0, outcomeAt))) {
    if (redelivery && event.type !== 'user.message') continue;
    if (event.type === 'agent.message') lines.push(`AGENT: ${text(event.content)}`);
    else if (event.type === 'user.message' && redelivery) lines.push(`USER: ${text(event.content)}`);
    else if (event.type === 'agent.tool_use' || event.type === 'agent.custom_tool_use') lines.push(`TOOL CALL ${event.name}: ${JSON.stringify(event.input).slice(0, 2000)}`);
    else if (event.type === 'agent.tool_result' || event.type === 'user.custom_tool_result') {
      lines.push(`TOOL RESULT${event.is_error ? ' (error)' : ''}: ${text(event.content).slice(0, 4000)}`);
    }
  }
  let out = lines.join('\n');
  if (out.length > budgetChars) out = `[earlier transcript omitted]\n${out.slice(out.length - budgetChars)}`;
  return out;
}

/** Reads the grader's verdict; anything unreadable counts as a request to revise, quoting it. */
export function parseVerdict(raw: string): { result: 'satisfied' | 'needs_revision' | 'failed'; explanation: string } {
  const match = /\{[\s\S]*\}/.exec(raw);
  if (match) {
    try {
      const value = JSON.parse(match[0]) as { result?: string; explanation?: string };
      if (value.result === 'satisfied' || value.result === 'needs_revision' || value.result === 'failed') {
        return { result: value.result, explanation: String(value.explanation ?? '') };
      }
    } catch {
      // fall through
    }
  }
  return { result: 'needs_revision', explanation: raw.trim() || 'The evaluator gave no verdict.' };
}

/**
 * Grades the agent's work on its outcome (spec 5.7) with a separate model call that sees only the
 * task, the rubric and the transcript: `span.outcome_evaluation_start`, periodic `…_ongoing`,
 * then `…_end` with the result. A satisfied or failed outcome ends the turn; one that needs
 * revision sends the agent back to work with the grader's explanation; out of iterations, the
 * agent gets one last turn to wrap up.
 */
export async function evaluateOutcome(turn: TurnContext, signals: { run: AbortSignal; interrupt: AbortSignal }): Promise<void> {
  const outcome = turn.state.outcome!;
  const [start] = await turn.append([{ body: { type: 'span.outcome_evaluation_start', outcome_id: outcome.id, iteration: outcome.iteration } }]);
  const agent = turn.session.agent;
  const model = turn.deps.models.resolve(agent.model);
  const request: ModelRequest = {
    model: agent.model,
    system: GRADER_SYSTEM,
    messages: [
      {
        role: 'user',
        content: [
          {
            type: 'text',
            text: `TASK:\n${outcome.description}\n\nRUBRIC:\n${outcome.rubric}\n\nTRANSCRIPT OF THE AGENT'S WORK:\n${transcript(turn.state, Math.floor(model.contextWindow * 2))}`,
          },
        ],
      },
    ],
    tools: [],
    maxTokens: 4096,
    cacheAfter: [],
  };
  const ongoing = setInterval(() => {
    void turn.deps.log
      .append(turn.sessionId, [{ body: { type: 'span.outcome_evaluation_ongoing', outcome_id: outcome.id, iteration: outcome.iteration } }], { fence: turn.fence })
      .catch(() => undefined);
  }, ONGOING_EVERY_MS);
  let raw = '';
  let usage: ModelUsage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  try {
    for await (const event of model.stream(request, AbortSignal.any([signals.run, signals.interrupt]))) {
      if (event.type === 'response') {
        raw = event.response.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n');
        usage = event.response.usage;
      }
    }
  } catch (error) {
    clearInterval(ongoing);
    // An interrupt closes the evaluation itself; a dead lease writes nothing.
    if (signals.run.aborted || signals.interrupt.aborted) return;
    const reason = error instanceof ModelError ? error.message : String(error);
    await finish(turn, start!.event.id, { result: 'failed', explanation: `The evaluator could not be reached: ${reason}` }, usage);
    return;
  }
  clearInterval(ongoing);
  await turn.catchUp();
  const verdict = parseVerdict(raw);
  await finish(turn, start!.event.id, verdict, usage);
}

async function finish(
  turn: TurnContext,
  startId: string,
  verdict: { result: string; explanation: string },
  usage: ModelUsage,
): Promise<void> {
  const outcome = turn.state.outcome!;
  const last = outcome.iteration + 1 >= outcome.maxIterations;
  const result = verdict.result === 'needs_revision' && last ? 'max_iterations_reached' : verdict.result;
  const price = priceOf(turn.deps.prices, turn.session.agent.model.id);
  const end: EventDraft = {
    body: {
      type: 'span.outcome_evaluation_end',
      outcome_id: outcome.id,
      outcome_evaluation_start_id: startId,
      iteration: outcome.iteration,
      result,
      explanation: verdict.explanation,
      usage,
    },
    internal: { cost_micros: price ? costMicros(price, usage) : 0 },
  };
  if (result === 'satisfied' || result === 'failed') {
    await turn.append([end]);
    await turn.append(turn.idleEvents({ type: 'end_turn' }));
  } else await turn.append([end]);
}
