import type { Environment } from '@longhand/protocol';
import { useState } from 'react';
import { ApiError } from '../../api/api-error.js';
import { Link } from '../../router/link.js';
import { useApi } from '../../state/api-context.js';
import { useResource } from '../../state/use-resource.js';
import { formatAgo, formatTime } from '../../ui/format.js';
import { useNow } from '../../ui/use-now.js';
import { EnvironmentForm } from './environment-form.js';

function networkOf(environment: Environment): string {
  if (environment.config.type === 'self_hosted') return 'self-hosted';
  const { networking } = environment.config;
  return networking.type === 'unrestricted' ? 'unrestricted' : `limited (${networking.allowed_hosts.length} host${networking.allowed_hosts.length === 1 ? '' : 's'})`;
}

function packagesOf(environment: Environment): string {
  if (environment.config.type !== 'cloud') return '—';
  const { packages } = environment.config;
  const all = (['apt', 'npm', 'pip', 'cargo', 'gem', 'go'] as const).flatMap((manager) => packages[manager].map((name) => `${manager}:${name}`));
  return all.length === 0 ? '—' : all.join(', ');
}

/** The workspace's environments. */
export function EnvironmentsPage() {
  const { api } = useApi();
  const now = useNow();
  const [archived, setArchived] = useState(false);
  const environments = useResource(() => api.environments.list(archived), [archived]);
  return (
    <main className="page" id="main">
      <div className="page-head">
        <h1>Environments</h1>
        <Link to="/environments/new" className="button primary">
          New environment
        </Link>
      </div>
      <label className="check">
        <input type="checkbox" checked={archived} onChange={(event) => setArchived(event.target.checked)} /> Include archived
      </label>
      {environments.error && <p className="form-error" role="alert">{environments.error}</p>}
      {!environments.data && !environments.error && <p className="muted">Loading environments…</p>}
      {environments.data && environments.data.length === 0 && <p className="empty">No environments yet. Sessions need one.</p>}
      {environments.data && environments.data.length > 0 && (
        <table className="list">
          <caption className="visually-hidden">Environments</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Network</th>
              <th scope="col">Packages</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {environments.data.map((environment) => (
              <tr key={environment.id} data-environment-id={environment.id}>
                <td data-label="Name">
                  <Link to={`/environments/${environment.id}`} className="row-link">
                    {environment.name}
                  </Link>
                  {environment.archived_at && <span className="chip"> archived</span>}
                </td>
                <td data-label="Network">{networkOf(environment)}</td>
                <td data-label="Packages">{packagesOf(environment)}</td>
                <td data-label="Updated" title={formatTime(environment.updated_at)}>
                  {formatAgo(environment.updated_at, now)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}

/** Create (`/environments/new`) or edit (`/environments/{id}`) one environment. */
export function EnvironmentEditPage({ id }: { id?: string }) {
  const { api } = useApi();
  const environment = useResource(() => (id ? api.environments.get(id) : Promise.resolve(undefined)), [id]);
  const notFound = environment.failure instanceof ApiError && environment.failure.notFound;
  return (
    <main className="page" id="main">
      <p className="breadcrumb"><Link to="/environments">Environments</Link></p>
      <h1>{id ? `Edit ${environment.data?.name ?? 'environment'}` : 'New environment'}</h1>
      {notFound && <p className="form-error" role="alert">There is no environment {id} in this workspace.</p>}
      {!notFound && environment.error && <p className="form-error" role="alert">{environment.error}</p>}
      {id && !environment.data && !environment.error && <p className="muted">Loading…</p>}
      {(!id || environment.data) && <EnvironmentForm key={environment.data?.updated_at ?? 'new'} {...(environment.data ? { environment: environment.data } : {})} />}
    </main>
  );
}
