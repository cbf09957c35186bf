import { isLonghandError } from '@longhand/protocol';
import { isLeaseLost, type Fence, type Subscription } from '@longhand/store';
import type { HarnessDeps } from './harness-deps.js';
import { acknowledge, block, closeOrphanSpan, endTurn, interrupt, resume, startTurn, supersede } from './lifecycle.js';
import { modelStep } from './model-step.js';
import { evaluateOutcome } from './outcome-step.js';
import { nextStep, type Step } from './next-step.js';
import { toolStep } from './tool-step.js';
import { TurnContext } from './turn-context.js';

/** Safety net: a run that takes more steps than this without finishing is stopped and logged. */
const MAX_STEPS_PER_RUN = 100_000;

/**
 * The brain. `run` takes a session whose lease the caller holds and works until the session
 * has nothing left to do or must wait for its client. It keeps nothing between runs: it folds
 * the log into a `SessionState`, picks the next step, performs it by appending events, and
 * repeats. Any process can pick any session up at any moment.
 */
export class Harness {
  constructor(private readonly deps: HarnessDeps) {}

  async run(sessionId: string, lease: Fence, signal: AbortSignal): Promise<void> {
    const turn = new TurnContext(this.deps, sessionId, lease);
    await turn.begin();
    let interrupts = new AbortController();
    // Interrupts must reach a model stream or a tool call in flight, so watch the log live.
    const watch: Subscription = this.deps.log.subscribe(sessionId, turn.state.lastSeq, {
      onEvents: (events) => {
        if (events.some((e) => e.event.type === 'user.interrupt' && !e.redelivery)) interrupts.abort(new Error('interrupted'));
      },
      onDeleted: () => interrupts.abort(new Error('deleted')),
    });
    try {
      for (let steps = 0; steps < MAX_STEPS_PER_RUN; steps += 1) {
        if (signal.aborted) return;
        await turn.catchUp();
        if (!(await turn.refreshSession())) return;
        const state = turn.state;
        const step = nextStep({
          state,
          startSeq: turn.startSeq,
          budgetAllows: this.budgetAllows(turn),
          idempotent: (name) => this.deps.tools.idempotent(name),
        });
        if (step.type === 'done') {
          await turn.append([], { consumedThrough: state.lastSeq });
          return;
        }
        if (step.type === 'interrupt') {
          await interrupt(turn, step.interrupt);
          interrupts = new AbortController();
          continue;
        }
        if (interrupts.signal.aborted && !turn.state.firstPending('user.interrupt')) interrupts = new AbortController();
        await this.perform(turn, step, { run: signal, interrupt: interrupts.signal });
      }
      this.deps.logger?.(`session ${sessionId}: stopped a run after ${MAX_STEPS_PER_RUN} steps`);
    } catch (error) {
      if (isLeaseLost(error) || signal.aborted) return;
      if (isLonghandError(error) && error.code === 'not_found') return; // deleted while running
      throw error;
    } finally {
      watch.close();
    }
  }

  private budgetAllows(turn: TurnContext): boolean {
    const budget = turn.session?.budget;
    if (!budget) return true;
    return turn.state.usage.costMicros < Number(budget.max_list_cost.amount) * 10_000;
  }

  private async perform(turn: TurnContext, step: Exclude<Step, { type: 'done' | 'interrupt' }>, signals: { run: AbortSignal; interrupt: AbortSignal }): Promise<void> {
    switch (step.type) {
      case 'close_orphan_span':
        return closeOrphanSpan(turn, step.span);
      case 'acknowledge':
        return acknowledge(turn, step.inputs);
      case 'start_turn':
        return startTurn(turn, step.inputs);
      case 'resume':
        return resume(turn);
      case 'supersede':
        return supersede(turn, step.stale, step.inputs);
      case 'block':
        return block(turn, step.ids);
      case 'end_turn':
        return endTurn(turn);
      case 'tool':
        await toolStep(turn, step.use, step.mode, signals);
        return;
      case 'evaluate':
        return evaluateOutcome(turn, signals);
      case 'model':
        // The provider said the context overflowed: compact before asking again.
        return modelStep(turn, signals, turn.state.lastResponseStop === 'context_exceeded');
    }
  }
}
