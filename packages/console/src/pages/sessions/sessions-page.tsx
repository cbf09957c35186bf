import type { SessionStatus } from '@longhand/protocol';
import { useMemo, useState } from 'react';
import { Link } from '../../router/link.js';
import { navigate, useLocation } from '../../router/router.js';
import { useApi } from '../../state/api-context.js';
import { useResource } from '../../state/use-resource.js';
import { formatAge, formatAgo, formatMoney, formatTime } from '../../ui/format.js';
import { StatusBadge } from '../../ui/status-badge.js';
import { useNow } from '../../ui/use-now.js';
import { NewSessionForm } from './new-session-form.js';
import { matchesSearch } from './session-search.js';

const STATUSES: SessionStatus[] = ['idle', 'running', 'rescheduling', 'terminated'];
const PAGE = 50;

/**
 * Every session of the workspace, newest first, refreshed every few seconds. Status, agent and
 * "archived" filter on the server; the search box filters titles and metadata in the browser.
 * Filters live in the URL, so a filtered list can be bookmarked.
 */
export function SessionsPage() {
  const { api } = useApi();
  const now = useNow(5_000);
  const { path, query } = useLocation();
  const status = query.get('status') ?? '';
  const agentId = query.get('agent') ?? '';
  const archived = query.get('archived') === '1';
  const search = query.get('q') ?? '';
  const [limit, setLimit] = useState(PAGE);
  const [creating, setCreating] = useState(false);

  const setFilter = (key: string, value: string) => {
    const next = new URLSearchParams(query);
    if (value) next.set(key, value);
    else next.delete(key);
    const text = next.toString();
    navigate(`${path}${text ? `?${text}` : ''}`, { replace: true });
  };

  const sessions = useResource(
    () => api.sessions.list({ statuses: status ? [status as SessionStatus] : undefined, agentId: agentId || undefined, includeArchived: archived, limit }),
    [status, agentId, archived, limit],
    { pollMs: 3_000 },
  );
  const agents = useResource(() => api.agents.list(true), []);
  const environments = useResource(() => (creating ? api.environments.list() : Promise.resolve([])), [creating]);
  const shown = useMemo(() => (sessions.data?.data ?? []).filter((session) => matchesSearch(session, search)), [sessions.data, search]);
  // The agents to filter by: those listed, plus any a session names (new ones show up at once).
  const agentOptions = useMemo(() => {
    const byId = new Map<string, string>();
    for (const agent of agents.data ?? []) byId.set(agent.id, agent.name);
    for (const session of sessions.data?.data ?? []) if (!byId.has(session.agent.id)) byId.set(session.agent.id, session.agent.name);
    return [...byId].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name));
  }, [agents.data, sessions.data]);

  return (
    <main className="page" id="main">
      <div className="page-head">
        <h1>Sessions</h1>
        <button type="button" className="primary" onClick={() => setCreating(true)} aria-expanded={creating}>
          New session
        </button>
      </div>
      {creating && (environments.data && agents.data ? (
        <NewSessionForm agents={agents.data.filter((agent) => !agent.archived_at)} environments={environments.data} onCancel={() => setCreating(false)} />
      ) : (
        <p className="muted">Loading agents and environments…</p>
      ))}
      <form className="filters" role="search" aria-label="Filter sessions" onSubmit={(event) => event.preventDefault()}>
        <div className="field">
          <label htmlFor="filter-search">Search titles and metadata</label>
          <input id="filter-search" type="search" value={search} onChange={(event) => setFilter('q', event.target.value)} placeholder="e.g. report team:data" />
        </div>
        <div className="field">
          <label htmlFor="filter-status">Status</label>
          <select id="filter-status" value={status} onChange={(event) => setFilter('status', event.target.value)}>
            <option value="">Any status</option>
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-agent">Agent</label>
          <select id="filter-agent" value={agentId} onChange={(event) => setFilter('agent', event.target.value)}>
            <option value="">Any agent</option>
            {agentOptions.map((agent) => (
              <option key={agent.id} value={agent.id}>
                {agent.name}
              </option>
            ))}
          </select>
        </div>
        <label className="check">
          <input type="checkbox" checked={archived} onChange={(event) => setFilter('archived', event.target.checked ? '1' : '')} /> Include archived
        </label>
      </form>
      {sessions.error && (
        <p className="form-error" role="alert">
          {sessions.error} {sessions.data ? 'Showing the last list received; retrying.' : ''}
        </p>
      )}
      {!sessions.data && !sessions.error && <p className="muted">Loading sessions…</p>}
      {sessions.data && (
        <>
          <p className="muted count" aria-live="polite">
            {shown.length} session{shown.length === 1 ? '' : 's'}
            {search ? ` matching “${search}”` : ''}
          </p>
          {shown.length === 0 ? (
            <p className="empty">No sessions{status || agentId || search ? ' match these filters' : ' yet: create one to start'}.</p>
          ) : (
            <table className="list sessions-table">
              <caption className="visually-hidden">Sessions, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Title</th>
                  <th scope="col">Status</th>
                  <th scope="col">Agent</th>
                  <th scope="col">Cost</th>
                  <th scope="col">Last activity</th>
                  <th scope="col">Age</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((session) => (
                  <tr key={session.id} data-session-id={session.id}>
                    <td data-label="Title">
                      <Link to={`/sessions/${session.id}`} className="row-link">
                        {session.title || <span className="muted">{session.id}</span>}
                      </Link>
                    </td>
                    <td data-label="Status">
                      <StatusBadge status={session.status} archived={Boolean(session.archived_at)} />
                    </td>
                    <td data-label="Agent">{session.agent.name}</td>
                    <td data-label="Cost">{formatMoney(session.usage?.list_cost)}</td>
                    <td data-label="Last activity" title={formatTime(session.updated_at)}>
                      {formatAgo(session.updated_at, now)}
                    </td>
                    <td data-label="Age" title={formatTime(session.created_at)}>
                      {formatAge(session.created_at, now)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {sessions.data.next_page && limit < 1000 && (
            <button type="button" onClick={() => setLimit(Math.min(1000, limit + PAGE))}>
              Show more sessions
            </button>
          )}
        </>
      )}
    </main>
  );
}
