import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '@longhand/protocol';
import { parseVerdict } from '@longhand/harness';
import { rig } from './support.js';

function evaluations(events: SessionEvent[]) {
  return events.flatMap((e) => (e.type === 'span.outcome_evaluation_end' ? [`${e.iteration}:${e.result}`] : []));
}

const OUTCOME = { type: 'user.define_outcome' as const, outcome_id: 'outc_test', description: 'Write a haiku about rain', rubric: { type: 'text' as const, content: 'Three lines, 5-7-5 syllables, mentions rain.' }, max_iterations: 3 };

/** The agent writes drafts; the grader (same scripted model, told apart by its system prompt) judges them. */
function script(verdicts: string[]) {
  let drafts = 0;
  let grades = 0;
  return (view: { system: string; lastUserText: string }) => {
    if (view.system.startsWith('You are an independent evaluator')) return { text: verdicts[grades++] ?? verdicts.at(-1)! };
    drafts += 1;
    return { text: `draft ${drafts}` };
  };
}

describe('outcomes', () => {
  it('start work on definition, grade it, revise on feedback, and finish when satisfied', async () => {
    const r = await rig(script(['{"result":"needs_revision","explanation":"only two lines"}', '{"result":"satisfied","explanation":"good haiku"}']));
    await r.store.sessions.update(r.session.id, {
      outcomeEvaluations: [{ type: 'outcome_evaluation', outcome_id: 'outc_test', description: OUTCOME.description, iteration: 0, result: 'pending', explanation: null, completed_at: null }],
    });
    await r.send(OUTCOME);
    await r.run();
    const events = await r.events();
    expect(evaluations(events)).toEqual(['0:needs_revision', '1:satisfied']);
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'session.status_idle')).toHaveLength(1);
    expect(types.at(-1)).toBe('session.status_idle');
    // The agent saw the grader's feedback before its second draft.
    const second = r.model.requests.filter((q) => !q.system?.startsWith('You are an independent evaluator'))[1]!;
    expect(JSON.stringify(second.messages)).toContain('only two lines');
    // The grader saw the task, the rubric and the draft, not the agent's context.
    const grade = r.model.requests.find((q) => q.system?.startsWith('You are an independent evaluator'))!;
    expect(JSON.stringify(grade.messages)).toContain('5-7-5');
    expect(JSON.stringify(grade.messages)).toContain('draft 1');
    const outcome = (await r.store.sessions.get(r.session.id))!.session.outcome_evaluations[0]!;
    expect([outcome.result, outcome.iteration, outcome.explanation]).toEqual(['satisfied', 1, 'good haiku']);
    expect(outcome.completed_at).not.toBeNull();
    await r.close();
  });

  it('stop revising at max_iterations and let the agent wrap up once', async () => {
    const r = await rig(script(['{"result":"needs_revision","explanation":"no"}']));
    await r.send({ ...OUTCOME, max_iterations: 2 });
    await r.run();
    const events = await r.events();
    expect(evaluations(events)).toEqual(['0:needs_revision', '1:max_iterations_reached']);
    const drafts = events.filter((e) => e.type === 'agent.message');
    expect(drafts).toHaveLength(3);
    const idle = events.at(-1)!;
    expect(idle.type === 'session.status_idle' && idle.stop_reason.type).toBe('end_turn');
    await r.close();
  });

  it('read an unparseable verdict as a request to revise', () => {
    expect(parseVerdict('looks fine to me')).toEqual({ result: 'needs_revision', explanation: 'looks fine to me' });
    expect(parseVerdict('Verdict: {"result":"failed","explanation":"wrong task"}')).toEqual({ result: 'failed', explanation: 'wrong task' });
  });
});
