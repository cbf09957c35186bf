import type { SessionEvent } from '@longhand/protocol';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, describeError } from '../../api/api-error.js';
import type { ClientEvent } from '../../api/resources.js';
import { Link } from '../../router/link.js';
import { navigate } from '../../router/router.js';
import { useApi } from '../../state/api-context.js';
import { useResource } from '../../state/use-resource.js';
import { useSessionFeed } from '../../state/use-session-feed.js';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';
import { formatAge, formatCount, formatMoney, formatTime, primaryThreadOf } from '../../ui/format.js';
import { StatusBadge } from '../../ui/status-badge.js';
import { useNow } from '../../ui/use-now.js';
import { Composer } from './composer.js';
import { ConnectionStatus } from './connection-status.js';
import { ForkedFrom } from './forked-from.js';
import { PendingPanel } from './pending-panel.js';
import { lastStatus, pendingActions } from './session-facts.js';
import { SESSION_TABS } from './session-tabs.js';
import { Timeline } from './timeline.js';

/** Events after which the session object (status, usage, title) is fetched again. */
const REFRESH_ON = new Set(['session.status_idle', 'session.status_running', 'session.status_terminated', 'session.status_rescheduled', 'session.updated', 'session.usage', 'session.restored']);

/** One session: its live timeline, what it waits for, its usage, its workspace and its checkpoints. */
export function SessionPage({ id, tab }: { id: string; tab: string }) {
  const { api } = useApi();
  const now = useNow();
  const session = useResource(() => api.sessions.get(id), [id]);
  const refresh = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const onEvent = useCallback(
    (event: SessionEvent) => {
      if (!REFRESH_ON.has(event.type)) return;
      clearTimeout(refresh.current);
      refresh.current = setTimeout(() => void session.reload(), 300);
    },
    [session.reload],
  );
  useEffect(() => () => clearTimeout(refresh.current), []);
  const { feed, snapshot, connection } = useSessionFeed(id, onEvent);
  const [dialog, setDialog] = useState<'archive' | 'delete' | undefined>();
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | undefined>();
  const [sent, setSent] = useState(0);

  const pending = useMemo(() => pendingActions(snapshot.events), [snapshot]);
  const pendingIds = useMemo(() => new Set([...pending.confirmations, ...pending.customCalls].map((use) => use.id)), [pending]);
  const send = useCallback(
    async (events: ClientEvent[]) => {
      const { data } = await api.events.send(id, events);
      feed.add(data);
      setSent((n) => n + 1);
      return data;
    },
    [api, id, feed],
  );
  const usage = useMemo(() => {
    for (let i = snapshot.events.length - 1; i >= 0; i -= 1) {
      const event = snapshot.events[i]!;
      if (event.type === 'session.usage') return event.usage;
    }
    return undefined;
  }, [snapshot]);

  if (session.failure instanceof ApiError && session.failure.notFound) {
    return (
      <main className="page" id="main">
        <h1>Session not found</h1>
        <p>There is no session {id} in this workspace (it may have been deleted).</p>
        <p>
          <Link to="/sessions">Back to sessions</Link>
        </p>
      </main>
    );
  }
  const data = session.data;
  const status = lastStatus(snapshot.events)?.status ?? data?.status ?? 'idle';
  const running = status === 'running' || status === 'rescheduling';
  const closed = status === 'terminated' || Boolean(data?.archived_at) || connection.reason === 'deleted';
  const shownUsage = usage ?? data?.usage;
  const active = SESSION_TABS.find((entry) => entry.id === tab) ?? SESSION_TABS[0]!;

  const confirmAction = async () => {
    if (!dialog) return;
    setBusy(true);
    setActionError(undefined);
    try {
      if (dialog === 'archive') {
        await api.sessions.archive(id);
        await session.reload();
        setDialog(undefined);
      } else {
        await api.sessions.delete(id);
        navigate('/sessions');
      }
    } catch (error) {
      setActionError(describeError(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="page session-page" id="main">
      <header className="session-head">
        <div className="title-row">
          <h1>{data?.title || id}</h1>
          <StatusBadge status={status} archived={Boolean(data?.archived_at)} />
          <ConnectionStatus state={connection} />
          <div className="actions head-actions">
            <button type="button" onClick={() => { setActionError(undefined); setDialog('archive'); }} disabled={!data || Boolean(data.archived_at)}>
              Archive
            </button>
            <button type="button" className="danger" onClick={() => { setActionError(undefined); setDialog('delete'); }} disabled={!data}>
              Delete
            </button>
          </div>
        </div>
        <dl className="meta">
          <div>
            <dt>Agent</dt>
            <dd>{data ? <Link to={`/agents/${data.agent.id}`}>{data.agent.name} v{data.agent.version}</Link> : '…'}</dd>
          </div>
          <div>
            <dt>Cost</dt>
            <dd>{formatMoney(shownUsage?.list_cost)}</dd>
          </div>
          <div>
            <dt>Tokens</dt>
            <dd>
              {formatCount(shownUsage?.input_tokens)} in · {formatCount(shownUsage?.output_tokens)} out
            </dd>
          </div>
          <div>
            <dt>Age</dt>
            <dd title={formatTime(data?.created_at)}>{formatAge(data?.created_at, now)}</dd>
          </div>
          <div className="meta-id">
            <dt>Id</dt>
            <dd><code>{id}</code></dd>
          </div>
        </dl>
        {data?.forked_from && <ForkedFrom origin={data.forked_from} />}
        {session.error && !data && <p className="form-error" role="alert">{session.error}</p>}
      </header>
      <nav className="tabs" aria-label="Session views">
        {SESSION_TABS.map((entry) => (
          <Link key={entry.id} to={entry.id === 'timeline' ? `/sessions/${id}` : `/sessions/${id}/${entry.id}`} aria-current={entry.id === active.id ? 'page' : undefined}>
            {entry.label}
            {entry.id === 'timeline' && pendingIds.size > 0 ? ` (${pendingIds.size} waiting)` : ''}
          </Link>
        ))}
      </nav>
      {active.id === 'timeline' ? (
        <section className="timeline-panel" aria-label="Timeline">
          <Timeline snapshot={snapshot} primaryThread={primaryThreadOf(id)} pendingIds={pendingIds} loading={connection.phase !== 'live' && snapshot.events.length === 0} followSignal={sent} />
          <PendingPanel pending={pending} send={send} />
          <Composer send={send} running={running} disabled={closed} disabledReason={data?.archived_at ? 'This session is archived; it accepts no messages' : status === 'terminated' ? 'This session is terminated' : undefined} />
        </section>
      ) : (
        <section className="tab-panel" aria-label={active.label}>
          {data ? active.render?.({ session: data, events: snapshot.events, status }) : <p className="muted">Loading…</p>}
        </section>
      )}
      <ConfirmDialog
        open={dialog !== undefined}
        title={dialog === 'delete' ? 'Delete this session?' : 'Archive this session?'}
        confirmLabel={dialog === 'delete' ? 'Delete session' : 'Archive session'}
        danger={dialog === 'delete'}
        busy={busy}
        onConfirm={() => void confirmAction()}
        onCancel={() => setDialog(undefined)}
      >
        <p>
          {dialog === 'delete'
            ? 'Its events and files are removed for good. This cannot be undone.'
            : 'An archived session is read-only: it keeps its history but accepts no more messages.'}
        </p>
        {actionError && <p className="form-error" role="alert">{actionError}</p>}
      </ConfirmDialog>
    </main>
  );
}
