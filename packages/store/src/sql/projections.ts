import type { SessionStatus } from '@longhand/protocol';
import type { StoredEvent } from '../event-log.js';
import type { SqlExecutor } from './driver.js';

const STATUS_OF: Record<string, SessionStatus> = {
  'session.status_running': 'running',
  'session.status_idle': 'idle',
  'session.status_rescheduled': 'rescheduling',
  'session.status_terminated': 'terminated',
};

/**
 * Keeps the session row in step with its log, in the append's transaction: the status follows
 * the last status event, running time is accumulated for `stats.active_seconds`, and the last
 * `session.usage` snapshot becomes the session's usage.
 */
export async function applyProjections(
  tx: SqlExecutor,
  sessionId: string,
  events: readonly StoredEvent[],
  current: { status: string; runningSince: number | null },
): Promise<void> {
  let status = current.status;
  let runningSince = current.runningSince;
  let activeDelta = 0;
  let usage: unknown;
  for (const { event, redelivery } of events) {
    if (redelivery) continue;
    const next = STATUS_OF[event.type];
    if (next && next !== status) {
      const at = Date.parse(event.processed_at ?? new Date().toISOString());
      if (next === 'running' && runningSince === null) runningSince = at;
      if (next !== 'running' && runningSince !== null) {
        activeDelta += Math.max(0, at - runningSince);
        runningSince = null;
      }
      status = next;
    }
    if (event.type === 'session.usage') usage = event.usage;
  }
  if (status !== current.status || activeDelta > 0) {
    await tx.run(`UPDATE sessions SET status = ?, running_since = ?, active_ms = active_ms + ? WHERE id = ?`, [
      status,
      runningSince,
      activeDelta,
      sessionId,
    ]);
  }
  if (usage !== undefined) await tx.run(`UPDATE sessions SET usage = ? WHERE id = ?`, [JSON.stringify(usage), sessionId]);
  await projectOutcomes(tx, sessionId, events);
}

const TERMINAL_RESULTS = new Set(['satisfied', 'max_iterations_reached', 'failed', 'interrupted']);

/**
 * Mirrors outcome grading into `session.outcome_evaluations` (spec 5.7): an evaluation start
 * marks the outcome `evaluating`; its end records the result, iteration and explanation, and
 * the completion time when the result is final.
 */
async function projectOutcomes(tx: SqlExecutor, sessionId: string, events: readonly StoredEvent[]): Promise<void> {
  const spans = events.filter(
    (e) =>
      !e.redelivery &&
      (e.event.type === 'span.outcome_evaluation_start' || e.event.type === 'span.outcome_evaluation_end' || e.event.type === 'session.status_running'),
  );
  if (spans.length === 0) return;
  const rows = await tx.all<{ body: string }>(`SELECT body FROM sessions WHERE id = ?`, [sessionId]);
  if (!rows[0]) return;
  const body = JSON.parse(rows[0].body) as { outcome_evaluations?: Array<Record<string, unknown>> };
  const evaluations = body.outcome_evaluations ?? [];
  for (const { event } of spans) {
    if (event.type === 'session.status_running') {
      // Work on a waiting outcome starts with the turn.
      for (const o of evaluations) if (o.result === 'pending') o.result = 'running';
      continue;
    }
    const e = event as { type: string; outcome_id: string; iteration: number; result?: string; explanation?: string; processed_at: string | null };
    const target = evaluations.find((o) => o.outcome_id === e.outcome_id);
    if (!target) continue;
    target.iteration = e.iteration;
    if (e.type === 'span.outcome_evaluation_start') target.result = 'evaluating';
    else {
      target.result = e.result;
      target.explanation = e.explanation ?? null;
      if (TERMINAL_RESULTS.has(e.result ?? '')) target.completed_at = e.processed_at;
    }
  }
  body.outcome_evaluations = evaluations;
  await tx.run(`UPDATE sessions SET body = ? WHERE id = ?`, [JSON.stringify(body), sessionId]);
}
