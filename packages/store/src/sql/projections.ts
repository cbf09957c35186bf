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
}
