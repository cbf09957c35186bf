import type { SessionErrorType } from '@longhand/protocol';
import type { EventDraft, StoredEvent } from '@longhand/store';
import { ModelError } from '../model/model-error.js';
import type { TurnContext } from './turn-context.js';

function errorType(error: ModelError): SessionErrorType {
  switch (error.kind) {
    case 'rate_limited':
      return 'model_rate_limited_error';
    case 'overloaded':
      return 'model_overloaded_error';
    case 'billing':
      return 'billing_error';
    default:
      return 'model_request_failed_error';
  }
}

function failedSpan(span: StoredEvent | undefined, purpose: string): EventDraft[] {
  if (!span) return [];
  return [
    {
      body: {
        type: 'span.model_request_end',
        model_request_start_id: span.event.id,
        is_error: true,
        model_usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
      internal: { cost_micros: 0, purpose },
    },
  ];
}

/** Ends the turn for good after a failure: error (exhausted), idle with `retries_exhausted`, queue flushed. */
export async function exhaustTurn(turn: TurnContext, type: SessionErrorType, message: string, extra: EventDraft[] = []): Promise<void> {
  const queued = turn.state.pending.filter((p) => p.event.type === 'user.message' || p.event.type === 'system.message');
  await turn.append([
    ...extra,
    { body: { type: 'session.error', error: { type, message, retry_status: { type: 'exhausted' } } } },
    ...turn.processed(queued),
    ...turn.idleEvents({ type: 'retries_exhausted' }),
  ]);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Turns a failed model request into events (spec 4.3, 5.1): a retryable failure is a
 * `session.error` (retrying), `rescheduling`, and a backoff; the last allowed failure ends the
 * turn with `retries_exhausted`; a failure retrying cannot fix terminates the session.
 * The failed request's span is closed in the same append, so history never holds half of it.
 */
export async function handleModelFailure(
  turn: TurnContext,
  error: unknown,
  span: StoredEvent | undefined,
  purpose: string,
  signals: { run: AbortSignal; interrupt: AbortSignal },
): Promise<void> {
  const closing = failedSpan(span, purpose);
  if (signals.run.aborted) return;
  if (signals.interrupt.aborted) {
    if (closing.length > 0) await turn.append(closing);
    return;
  }
  const failure = error instanceof ModelError ? error : new ModelError('server', (error as Error)?.message ?? String(error));
  const type = errorType(failure);
  if (!failure.retryable) {
    await turn.append([
      ...closing,
      { body: { type: 'session.error', error: { type, message: failure.message, retry_status: { type: 'terminal' } } } },
      { body: { type: 'session.thread_status_terminated', session_thread_id: turn.threadId, agent_name: turn.agentName } },
      turn.usageEvent(),
      { body: { type: 'session.status_terminated' } },
    ]);
    return;
  }
  const attempt = turn.state.consecutiveErrors + 1;
  if (attempt > turn.deps.config.maxRetries) {
    await exhaustTurn(turn, type, `${failure.message} (gave up after ${attempt} attempts)`, closing);
    return;
  }
  await turn.append([
    ...closing,
    { body: { type: 'session.error', error: { type, message: failure.message, retry_status: { type: 'retrying' } } } },
    { body: { type: 'session.thread_status_rescheduled', session_thread_id: turn.threadId, agent_name: turn.agentName } },
    { body: { type: 'session.status_rescheduled' } },
  ]);
  const base = turn.deps.config.backoffMs(attempt);
  const jittered = base * (0.8 + Math.random() * 0.4);
  await sleep(Math.max(jittered, failure.retryAfterMs ?? 0), AbortSignal.any([signals.run, signals.interrupt]));
}
