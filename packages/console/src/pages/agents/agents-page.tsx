import { useState } from 'react';
import { Link } from '../../router/link.js';
import { useApi } from '../../state/api-context.js';
import { useResource } from '../../state/use-resource.js';
import { formatAgo, formatTime } from '../../ui/format.js';
import { useNow } from '../../ui/use-now.js';

/** The workspace's agents, with their current version. */
export function AgentsPage() {
  const { api } = useApi();
  const now = useNow();
  const [archived, setArchived] = useState(false);
  const agents = useResource(() => api.agents.list(archived), [archived]);
  return (
    <main className="page" id="main">
      <div className="page-head">
        <h1>Agents</h1>
        <Link to="/agents/new" className="button primary">
          New agent
        </Link>
      </div>
      <label className="check">
        <input type="checkbox" checked={archived} onChange={(event) => setArchived(event.target.checked)} /> Include archived
      </label>
      {agents.error && <p className="form-error" role="alert">{agents.error}</p>}
      {!agents.data && !agents.error && <p className="muted">Loading agents…</p>}
      {agents.data && agents.data.length === 0 && <p className="empty">No agents yet. Create one to start sessions with it.</p>}
      {agents.data && agents.data.length > 0 && (
        <table className="list">
          <caption className="visually-hidden">Agents</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Model</th>
              <th scope="col">Version</th>
              <th scope="col">Tools</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {agents.data.map((agent) => (
              <tr key={agent.id} data-agent-id={agent.id}>
                <td data-label="Name">
                  <Link to={`/agents/${agent.id}`} className="row-link">
                    {agent.name}
                  </Link>
                  {agent.archived_at && <span className="chip"> archived</span>}
                </td>
                <td data-label="Model">
                  <code>{agent.model.id}</code>
                </td>
                <td data-label="Version">v{agent.version}</td>
                <td data-label="Tools">{agent.tools.map((tool) => (tool.type === 'custom' ? tool.name : tool.type === 'mcp_toolset' ? `mcp:${tool.mcp_server_name}` : 'built-in')).join(', ') || '—'}</td>
                <td data-label="Updated" title={formatTime(agent.updated_at)}>
                  {formatAgo(agent.updated_at, now)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
