import { isoNow, type Session, type SessionUsage } from '@longhand/protocol';
import type { Fence } from '../event-log.js';
import type { Lease, SessionChanges, SessionQuery, SessionRecord, SessionTable } from '../sessions.js';
import { CHANNELS, wakePayload } from './channels.js';
import type { SqlDriver, SqlExecutor } from './driver.js';

interface SessionRow {
  id: string;
  workspace_id: string;
  status: Session['status'];
  created_at: string;
  updated_at: string;
  archived_at: string | null;
  usage: string;
  active_ms: number | string;
  running_since: number | string | null;
  last_seq: number | string;
  wake_seq: number | string;
  parent_session_id: string | null;
  body: string;
}

const COLUMNS =
  'id, workspace_id, status, created_at, updated_at, archived_at, usage, active_ms, running_since, last_seq, wake_seq, parent_session_id, body';

/** What a session's body holds; the rest lives in columns. */
type SessionBody = Omit<Session, 'status' | 'archived_at' | 'updated_at' | 'usage' | 'stats'>;

function toRecord(row: SessionRow): SessionRecord {
  const body = JSON.parse(row.body) as SessionBody;
  const now = Date.now();
  const runningSince = row.running_since === null ? null : Number(row.running_since);
  const activeMs = Number(row.active_ms) + (runningSince === null ? 0 : Math.max(0, now - runningSince));
  const end = row.status === 'terminated' ? Date.parse(row.updated_at) : now;
  const usage = JSON.parse(row.usage) as SessionUsage;
  const activeSeconds = Math.round(activeMs / 100) / 10;
  const { type, id, ...rest } = body;
  const session: Session = {
    type,
    id,
    ...rest,
    status: row.status,
    usage: { ...usage, active_seconds: activeSeconds },
    stats: { active_seconds: activeSeconds, duration_seconds: Math.max(0, Math.round((end - Date.parse(body.created_at)) / 100) / 10) },
    archived_at: row.archived_at,
    updated_at: row.updated_at,
  };
  return {
    workspaceId: row.workspace_id,
    session,
    lastSeq: Number(row.last_seq),
    wakeSeq: Number(row.wake_seq),
    parentSessionId: row.parent_session_id,
  };
}

function bodyOf(session: Session): SessionBody {
  const { status: _s, archived_at: _a, updated_at: _u, usage: _usage, stats: _stats, ...body } = session;
  return body;
}

function memoryStoreIds(session: Session): string {
  const ids = session.resources.flatMap((r) => (r.type === 'memory_store' ? [r.memory_store_id] : []));
  return ids.length === 0 ? '' : `,${ids.join(',')},`;
}

/** The sessions table over SQL. */
export class SqlSessionTable implements SessionTable {
  constructor(
    private readonly driver: SqlDriver,
    /** This store's identity in wake signals, so that it ignores its own. */
    private readonly origin: string,
    /** Called after a session was deleted by this process, to end its subscriptions. */
    private readonly onDeleted?: (sessionId: string) => void,
  ) {}

  async create(workspaceId: string, session: Session, options: { parentSessionId?: string | null } = {}): Promise<void> {
    await this.driver.run(
      `INSERT INTO sessions (id, workspace_id, status, agent_id, agent_version, environment_id, deployment_id, memory_store_ids,
        parent_session_id, created_at, updated_at, archived_at, usage, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        session.id,
        workspaceId,
        session.status,
        session.agent.id,
        session.agent.version,
        session.environment_id,
        session.deployment_id ?? null,
        memoryStoreIds(session),
        options.parentSessionId ?? null,
        session.created_at,
        session.updated_at,
        session.archived_at,
        JSON.stringify(session.usage ?? {}),
        JSON.stringify(bodyOf(session)),
      ],
    );
  }

  async get(sessionId: string): Promise<SessionRecord | undefined> {
    const rows = await this.driver.all<SessionRow>(`SELECT ${COLUMNS} FROM sessions WHERE id = ?`, [sessionId]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async list(query: SessionQuery): Promise<SessionRecord[]> {
    const where = ['workspace_id = ?'];
    const params: unknown[] = [query.workspaceId];
    if (!query.includeArchived) where.push('archived_at IS NULL');
    if (query.agentId !== undefined) {
      where.push('agent_id = ?');
      params.push(query.agentId);
    }
    if (query.agentVersion !== undefined) {
      where.push('agent_version = ?');
      params.push(query.agentVersion);
    }
    if (query.deploymentId !== undefined) {
      where.push('deployment_id = ?');
      params.push(query.deploymentId);
    }
    if (query.memoryStoreId !== undefined) {
      where.push('memory_store_ids LIKE ?');
      params.push(`%,${query.memoryStoreId.replace(/[%_,]/g, '')},%`);
    }
    if (query.statuses && query.statuses.length > 0) {
      where.push(`status IN (${query.statuses.map(() => '?').join(', ')})`);
      params.push(...query.statuses);
    }
    for (const [key, op] of [['gt', '>'], ['gte', '>='], ['lt', '<'], ['lte', '<=']] as const) {
      const value = query.createdAt?.[key];
      if (value !== undefined) {
        where.push(`created_at ${op} ?`);
        params.push(value);
      }
    }
    // Walking forward in `asc` or backward in `desc` both mean ascending positions.
    const ascending = (query.order === 'asc') !== Boolean(query.backwards);
    if (query.after) {
      where.push(ascending ? '(created_at, id) > (?, ?)' : '(created_at, id) < (?, ?)');
      params.push(query.after[0], query.after[1]);
    }
    params.push(query.limit);
    const direction = ascending ? 'ASC' : 'DESC';
    const rows = await this.driver.all<SessionRow>(
      `SELECT ${COLUMNS} FROM sessions WHERE ${where.join(' AND ')} ORDER BY created_at ${direction}, id ${direction} LIMIT ?`,
      params,
    );
    const records = rows.map(toRecord);
    return query.backwards ? records.reverse() : records;
  }

  async update(sessionId: string, changes: SessionChanges): Promise<SessionRecord | undefined> {
    return this.driver.transaction(async (tx) => {
      // Bumping `updated_at` first also locks the row, so that two processes changing different
      // fields of the body at once apply one after the other instead of overwriting each other.
      const rows = await tx.all<SessionRow>(`UPDATE sessions SET updated_at = ? WHERE id = ? RETURNING ${COLUMNS}`, [
        isoNow(),
        sessionId,
      ]);
      if (!rows[0]) return undefined;
      const body = JSON.parse(rows[0].body) as SessionBody;
      if (changes.title !== undefined) body.title = changes.title;
      if (changes.metadata !== undefined) body.metadata = changes.metadata;
      if (changes.agent !== undefined) body.agent = changes.agent;
      if (changes.budget !== undefined) body.budget = changes.budget;
      if (changes.resources !== undefined) body.resources = changes.resources;
      if (changes.outcomeEvaluations !== undefined) body.outcome_evaluations = changes.outcomeEvaluations;
      const sets = ['body = ?', 'memory_store_ids = ?'];
      const params: unknown[] = [JSON.stringify(body), memoryStoreIds(body as Session)];
      if (changes.archivedAt !== undefined) {
        sets.push('archived_at = ?');
        params.push(changes.archivedAt);
      }
      if (changes.status !== undefined) {
        sets.push('status = ?');
        params.push(changes.status);
      }
      if (changes.usage !== undefined) {
        sets.push('usage = ?');
        params.push(JSON.stringify(changes.usage));
      }
      params.push(sessionId);
      const updated = await tx.all<SessionRow>(`UPDATE sessions SET ${sets.join(', ')} WHERE id = ? RETURNING ${COLUMNS}`, params);
      return updated[0] ? toRecord(updated[0]) : undefined;
    });
  }

  async delete(sessionId: string): Promise<boolean> {
    const deleted = await this.driver.transaction(async (tx) => {
      // The session row first: it waits for any append in flight (which holds that row), so the
      // events are deleted after that append committed, and no orphan events are left behind.
      const changed = await tx.run(`DELETE FROM sessions WHERE id = ?`, [sessionId]);
      await tx.run(`DELETE FROM events WHERE session_id = ?`, [sessionId]);
      if (changed > 0 && this.driver.notifySql) {
        const notify = this.driver.notifySql([[CHANNELS.events, `${sessionId} deleted`]]);
        await tx.run(notify.sql, notify.params);
      }
      return changed > 0;
    });
    if (deleted) this.onDeleted?.(sessionId);
    return deleted;
  }

  async acquireLease(sessionId: string, holder: string, ttlMs: number): Promise<Lease | undefined> {
    const now = this.driver.nowMillisSql;
    const rows = await this.driver.all<{ lease_token: number | string; lease_expires_at: number | string }>(
      `UPDATE sessions
         SET lease_token = CASE WHEN lease_holder = ? AND lease_expires_at > ${now} THEN lease_token ELSE lease_token + 1 END,
             lease_holder = ?,
             lease_expires_at = ${now} + ?
       WHERE id = ? AND (lease_holder IS NULL OR lease_holder = ? OR lease_expires_at <= ${now})
       RETURNING lease_token, lease_expires_at`,
      [holder, holder, ttlMs, sessionId, holder],
    );
    const row = rows[0];
    if (!row) return undefined;
    return { sessionId, holder, token: Number(row.lease_token), expiresAt: Number(row.lease_expires_at) };
  }

  async renewLease(lease: Fence & { sessionId: string }, ttlMs: number): Promise<Lease | undefined> {
    const now = this.driver.nowMillisSql;
    const rows = await this.driver.all<{ lease_expires_at: number | string }>(
      `UPDATE sessions SET lease_expires_at = ${now} + ?
       WHERE id = ? AND lease_holder = ? AND lease_token = ? AND lease_expires_at > ${now}
       RETURNING lease_expires_at`,
      [ttlMs, lease.sessionId, lease.holder, lease.token],
    );
    const row = rows[0];
    if (!row) return undefined;
    return { sessionId: lease.sessionId, holder: lease.holder, token: lease.token, expiresAt: Number(row.lease_expires_at) };
  }

  async releaseLease(lease: Fence & { sessionId: string }, options: { handoff?: boolean } = {}): Promise<number> {
    const release = async (tx: SqlExecutor): Promise<number> => {
      const rows = await tx.all<{ wake_seq: number | string }>(
        `UPDATE sessions SET lease_holder = NULL, lease_expires_at = 0 WHERE id = ? AND lease_holder = ? AND lease_token = ?
         RETURNING wake_seq`,
        [lease.sessionId, lease.holder, lease.token],
      );
      return Number(rows[0]?.wake_seq ?? 0);
    };
    const notify = this.driver.notifySql;
    if (!options.handoff || !notify) return release(this.driver);
    return this.driver.transaction(async (tx) => {
      const wakeSeq = await release(tx);
      if (wakeSeq > 0) {
        const wake = notify.call(this.driver, [[CHANNELS.wakes, wakePayload(this.origin, lease.sessionId)]]);
        await tx.run(wake.sql, wake.params);
      }
      return wakeSeq;
    });
  }

  async breakLeases(): Promise<number> {
    return this.driver.run(`UPDATE sessions SET lease_holder = NULL, lease_expires_at = 0 WHERE lease_holder IS NOT NULL`);
  }

  async listRunnable(limit: number): Promise<string[]> {
    const rows = await this.driver.all<{ id: string }>(
      `SELECT id FROM sessions
       WHERE wake_seq > 0 AND status <> 'terminated' AND (lease_holder IS NULL OR lease_expires_at <= ${this.driver.nowMillisSql})
       ORDER BY updated_at ASC LIMIT ?`,
      [limit],
    );
    return rows.map((row) => row.id);
  }
}
