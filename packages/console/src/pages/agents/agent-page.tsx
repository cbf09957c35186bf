import type { Agent } from '@longhand/protocol';
import { useEffect, useState } from 'react';
import { ApiError, describeError } from '../../api/api-error.js';
import { Link } from '../../router/link.js';
import { useApi } from '../../state/api-context.js';
import { useResource } from '../../state/use-resource.js';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';
import { JsonView } from '../../ui/fold.js';
import { formatTime } from '../../ui/format.js';
import { AgentForm } from './agent-form.js';
import { VersionDiff } from './version-diff.js';

function Versions({ versions }: { versions: Agent[] }) {
  const sorted = [...versions].sort((a, b) => a.version - b.version);
  const latest = sorted[sorted.length - 1];
  const [left, setLeft] = useState(sorted[sorted.length - 2]?.version ?? latest?.version ?? 1);
  const [right, setRight] = useState(latest?.version ?? 1);
  useEffect(() => {
    setLeft(sorted[sorted.length - 2]?.version ?? sorted[sorted.length - 1]?.version ?? 1);
    setRight(sorted[sorted.length - 1]?.version ?? 1);
    // Reset the choice only when a new version appears, not on every render.
  }, [versions.length]);
  const before = sorted.find((v) => v.version === left);
  const after = sorted.find((v) => v.version === right);
  return (
    <section aria-labelledby="versions-title" className="versions">
      <h2 id="versions-title">Versions</h2>
      <div className="compare-pick">
        <div className="field">
          <label htmlFor="diff-left">Compare version</label>
          <select id="diff-left" value={left} onChange={(event) => setLeft(Number(event.target.value))}>
            {sorted.map((v) => (
              <option key={v.version} value={v.version}>
                v{v.version} · {formatTime(v.updated_at)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="diff-right">with version</label>
          <select id="diff-right" value={right} onChange={(event) => setRight(Number(event.target.value))}>
            {sorted.map((v) => (
              <option key={v.version} value={v.version}>
                v{v.version} · {formatTime(v.updated_at)}
              </option>
            ))}
          </select>
        </div>
      </div>
      {before && after && <VersionDiff before={before} after={after} />}
    </section>
  );
}

/** One agent: its configuration, its versions side by side, edit and archive. */
export function AgentPage({ id, editing }: { id: string; editing: boolean }) {
  const { api } = useApi();
  const agent = useResource(() => api.agents.get(id), [id]);
  const versions = useResource(() => api.agents.versions(id), [id]);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  if (agent.failure instanceof ApiError && agent.failure.notFound) {
    return (
      <main className="page" id="main">
        <h1>Agent not found</h1>
        <p><Link to="/agents">Back to agents</Link></p>
      </main>
    );
  }
  const data = agent.data;
  if (!data) {
    return (
      <main className="page" id="main">
        <h1>Agent</h1>
        {agent.error ? <p className="form-error" role="alert">{agent.error}</p> : <p className="muted">Loading…</p>}
      </main>
    );
  }
  if (editing) {
    return (
      <main className="page" id="main">
        <p className="breadcrumb"><Link to={`/agents/${id}`}>{data.name}</Link></p>
        <h1>Edit {data.name}</h1>
        {data.archived_at ? <p className="form-error" role="alert">Archived agents are read-only.</p> : <AgentForm key={data.version} agent={data} />}
      </main>
    );
  }
  const archive = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.agents.archive(id);
      setConfirming(false);
      await agent.reload();
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="page" id="main">
      <p className="breadcrumb"><Link to="/agents">Agents</Link></p>
      <div className="page-head">
        <h1>
          {data.name} <span className="muted">v{data.version}</span>
          {data.archived_at && <span className="chip"> archived</span>}
        </h1>
        <div className="actions">
          {!data.archived_at && (
            <Link to={`/agents/${id}/edit`} className="button primary">
              Edit
            </Link>
          )}
          <Link to={`/sessions?agent=${id}`} className="button">
            Sessions
          </Link>
          <button type="button" onClick={() => setConfirming(true)} disabled={Boolean(data.archived_at)}>
            Archive
          </button>
        </div>
      </div>
      <dl className="meta">
        <div><dt>Model</dt><dd><code>{data.model.id}</code></dd></div>
        <div><dt>Updated</dt><dd>{formatTime(data.updated_at)}</dd></div>
        <div className="meta-id"><dt>Id</dt><dd><code>{data.id}</code></dd></div>
      </dl>
      {data.description && <p>{data.description}</p>}
      <details className="panel">
        <summary>Configuration of version {data.version}</summary>
        <JsonView value={{ system: data.system, tools: data.tools, mcp_servers: data.mcp_servers, skills: data.skills, metadata: data.metadata }} lines={60} />
      </details>
      {versions.error && <p className="form-error" role="alert">{versions.error}</p>}
      {versions.data && <Versions versions={versions.data} />}
      <ConfirmDialog open={confirming} title="Archive this agent?" confirmLabel="Archive agent" busy={busy} onConfirm={() => void archive()} onCancel={() => setConfirming(false)}>
        <p>An archived agent is read-only and cannot start new sessions. Running sessions go on.</p>
        {error && <p className="form-error" role="alert">{error}</p>}
      </ConfirmDialog>
    </main>
  );
}
