import type { Environment, Packages } from '@longhand/protocol';
import { useRef, useState, type FormEvent } from 'react';
import { navigate } from '../../router/router.js';
import { useApi } from '../../state/api-context.js';
import { Field, FormMessage } from '../../ui/field.js';
import { errorsFrom, useFocusOnErrors, type FormErrors } from '../../ui/form-errors.js';
import { jsonText, metadataPatch, readJson } from '../../ui/json-field.js';

const MANAGERS = ['apt', 'npm', 'pip', 'cargo', 'gem', 'go'] as const;
const FIELDS = [
  'name',
  'description',
  'scope',
  'metadata',
  'config',
  'config.type',
  'config.networking',
  'config.networking.allowed_hosts',
  'config.packages',
  ...MANAGERS.map((manager) => `config.packages.${manager}`),
];

function words(text: string): string[] {
  return text.split(/[\s,]+/).map((word) => word.trim()).filter(Boolean);
}

/** Creates or edits an environment: where a session's tools run, and what they may reach. */
export function EnvironmentForm({ environment }: { environment?: Environment }) {
  const { api } = useApi();
  const form = useRef<HTMLFormElement>(null);
  const cloud = environment?.config.type === 'cloud' ? environment.config : undefined;
  const [name, setName] = useState(environment?.name ?? '');
  const [description, setDescription] = useState(environment?.description ?? '');
  const [type, setType] = useState<'cloud' | 'self_hosted'>(environment?.config.type ?? 'cloud');
  const [networking, setNetworking] = useState<'unrestricted' | 'limited'>(cloud?.networking.type ?? 'unrestricted');
  const limited = cloud?.networking.type === 'limited' ? cloud.networking : undefined;
  const [hosts, setHosts] = useState((limited?.allowed_hosts ?? []).join('\n'));
  const [allowMcp, setAllowMcp] = useState(limited?.allow_mcp_servers ?? false);
  const [allowPackages, setAllowPackages] = useState(limited?.allow_package_managers ?? false);
  const [packages, setPackages] = useState<Record<string, string>>(() =>
    Object.fromEntries(MANAGERS.map((manager) => [manager, (cloud?.packages[manager as keyof Packages] as string[] | undefined)?.join(' ') ?? ''])),
  );
  const [metadata, setMetadata] = useState(environment ? jsonText(environment.metadata) : '{}');
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [busy, setBusy] = useState(false);
  useFocusOnErrors(form, errors);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const parsedMetadata = readJson<Record<string, string>>(metadata, 'object', {});
    const local: Record<string, string> = {};
    if (!name.trim()) local.name = 'An environment needs a name.';
    if (!parsedMetadata.ok) local.metadata = parsedMetadata.error;
    if (Object.keys(local).length > 0 || !parsedMetadata.ok) {
      setErrors({ fields: local });
      return;
    }
    const config =
      type === 'self_hosted'
        ? { type }
        : {
            type,
            networking:
              networking === 'unrestricted'
                ? { type: 'unrestricted' }
                : { type: 'limited', allowed_hosts: words(hosts), allow_mcp_servers: allowMcp, allow_package_managers: allowPackages },
            packages: Object.fromEntries(MANAGERS.map((manager) => [manager, words(packages[manager] ?? '')])),
          };
    const body: Record<string, unknown> = { name: name.trim(), config };
    if (environment) {
      body.description = description.trim() === '' ? null : description;
      const patch = metadataPatch(environment.metadata, parsedMetadata.value);
      if (Object.keys(patch).length > 0) body.metadata = patch;
    } else {
      if (description.trim()) body.description = description;
      if (Object.keys(parsedMetadata.value).length > 0) body.metadata = parsedMetadata.value;
    }
    setBusy(true);
    setErrors({ fields: {} });
    try {
      if (environment) await api.environments.update(environment.id, body);
      else await api.environments.create(body);
      navigate('/environments');
    } catch (error) {
      setErrors(errorsFrom(error, FIELDS));
      setBusy(false);
    }
  };

  const error = (...paths: string[]) => paths.map((path) => errors.fields[path]).find(Boolean);

  return (
    <form ref={form} className="form" onSubmit={(event) => void submit(event)} noValidate aria-label={environment ? `Edit ${environment.name}` : 'New environment'}>
      <div className="form-grid">
        <Field id="env-name" label="Name" error={error('name')}>
          {(props) => <input {...props} value={name} onChange={(event) => setName(event.target.value)} autoComplete="off" required />}
        </Field>
        <Field id="env-type" label="Where tools run" error={error('config.type', 'config')} hint={environment ? 'The kind of an environment cannot change.' : undefined}>
          {(props) => (
            <select {...props} value={type} onChange={(event) => setType(event.target.value as 'cloud' | 'self_hosted')} disabled={Boolean(environment)}>
              <option value="cloud">On this server (sandboxes)</option>
              <option value="self_hosted">Self-hosted workers</option>
            </select>
          )}
        </Field>
      </div>
      <Field id="env-description" label="Description" error={error('description')}>
        {(props) => <textarea {...props} rows={2} value={description} onChange={(event) => setDescription(event.target.value)} />}
      </Field>
      {type === 'cloud' && (
        <fieldset className="group">
          <legend>Network</legend>
          <Field id="env-networking" label="Outbound network" error={error('config.networking')}>
            {(props) => (
              <select {...props} value={networking} onChange={(event) => setNetworking(event.target.value as 'unrestricted' | 'limited')}>
                <option value="unrestricted">Unrestricted</option>
                <option value="limited">Limited to listed hosts</option>
              </select>
            )}
          </Field>
          {networking === 'limited' && (
            <>
              <Field id="env-hosts" label="Allowed hosts (one per line)" error={error('config.networking.allowed_hosts')}>
                {(props) => <textarea {...props} rows={3} className="mono" value={hosts} onChange={(event) => setHosts(event.target.value)} />}
              </Field>
              <label className="check">
                <input type="checkbox" checked={allowMcp} onChange={(event) => setAllowMcp(event.target.checked)} /> Allow MCP servers
              </label>
              <label className="check">
                <input type="checkbox" checked={allowPackages} onChange={(event) => setAllowPackages(event.target.checked)} /> Allow package managers
              </label>
            </>
          )}
        </fieldset>
      )}
      {type === 'cloud' && (
        <fieldset className="group">
          <legend>Packages installed in each sandbox</legend>
          {error('config.packages') && <p className="field-error" role="alert">{error('config.packages')}</p>}
          <div className="form-grid three">
            {MANAGERS.map((manager) => (
              <Field key={manager} id={`env-packages-${manager}`} label={manager} error={error(`config.packages.${manager}`)}>
                {(props) => <input {...props} className="mono" value={packages[manager] ?? ''} onChange={(event) => setPackages({ ...packages, [manager]: event.target.value })} placeholder="space-separated" />}
              </Field>
            ))}
          </div>
        </fieldset>
      )}
      <Field id="env-metadata" label="Metadata (JSON object of strings)" error={error('metadata')}>
        {(props) => <textarea {...props} rows={3} className="mono" value={metadata} onChange={(event) => setMetadata(event.target.value)} />}
      </Field>
      <FormMessage error={errors.form ?? error('scope')} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : environment ? 'Save environment' : 'Create environment'}
        </button>
        <button type="button" onClick={() => navigate('/environments')}>
          Cancel
        </button>
      </div>
    </form>
  );
}
