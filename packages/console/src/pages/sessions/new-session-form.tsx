import type { Agent, Environment } from '@longhand/protocol';
import { useRef, useState, type FormEvent } from 'react';
import { navigate } from '../../router/router.js';
import { Link } from '../../router/link.js';
import { useApi } from '../../state/api-context.js';
import { Field, FormMessage } from '../../ui/field.js';
import { errorsFrom, useFocusOnErrors, type FormErrors } from '../../ui/form-errors.js';

const FIELDS = ['agent', 'environment_id', 'title', 'metadata', 'initial_events'];

/** Starts a session from an agent and an environment, optionally with a first message. */
export function NewSessionForm({ agents, environments, onCancel }: { agents: Agent[]; environments: Environment[]; onCancel: () => void }) {
  const { api } = useApi();
  const form = useRef<HTMLFormElement>(null);
  const [agentId, setAgentId] = useState(agents[0]?.id ?? '');
  const [environmentId, setEnvironmentId] = useState(environments[0]?.id ?? '');
  const [title, setTitle] = useState('');
  const [message, setMessage] = useState('');
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [busy, setBusy] = useState(false);
  useFocusOnErrors(form, errors);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (!agentId) local.agent = 'Choose an agent.';
    if (!environmentId) local.environment_id = 'Choose an environment.';
    if (Object.keys(local).length > 0) {
      setErrors({ fields: local });
      return;
    }
    setBusy(true);
    setErrors({ fields: {} });
    try {
      const session = await api.sessions.create({
        agent: agentId,
        environment_id: environmentId,
        ...(title.trim() ? { title: title.trim() } : {}),
        ...(message.trim() ? { initial_events: [{ type: 'user.message', content: [{ type: 'text', text: message.trim() }] }] } : {}),
      });
      navigate(`/sessions/${session.id}`);
    } catch (error) {
      setErrors(errorsFrom(error, FIELDS));
      setBusy(false);
    }
  };

  if (agents.length === 0 || environments.length === 0) {
    return (
      <div className="panel">
        <p>
          A session needs an agent and an environment.{' '}
          {agents.length === 0 && <Link to="/agents/new">Create an agent</Link>}
          {agents.length === 0 && environments.length === 0 && ' and '}
          {environments.length === 0 && <Link to="/environments/new">create an environment</Link>} first.
        </p>
        <button type="button" onClick={onCancel}>Close</button>
      </div>
    );
  }

  return (
    <form ref={form} className="panel form" onSubmit={(event) => void submit(event)} aria-labelledby="new-session-title" noValidate>
      <h2 id="new-session-title">New session</h2>
      <div className="form-grid">
        <Field id="new-session-agent" label="Agent" error={errors.fields.agent}>
          {(props) => (
            <select {...props} value={agentId} onChange={(event) => setAgentId(event.target.value)}>
              {agents.map((agent) => (
                <option key={agent.id} value={agent.id}>
                  {agent.name} (v{agent.version})
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id="new-session-environment" label="Environment" error={errors.fields.environment_id}>
          {(props) => (
            <select {...props} value={environmentId} onChange={(event) => setEnvironmentId(event.target.value)}>
              {environments.map((environment) => (
                <option key={environment.id} value={environment.id}>
                  {environment.name}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <Field id="new-session-title-field" label="Title (optional)" error={errors.fields.title}>
        {(props) => <input {...props} value={title} onChange={(event) => setTitle(event.target.value)} />}
      </Field>
      <Field id="new-session-message" label="First message (optional)" error={errors.fields.initial_events} hint="Sent as soon as the session starts.">
        {(props) => <textarea {...props} rows={3} value={message} onChange={(event) => setMessage(event.target.value)} />}
      </Field>
      <FormMessage error={errors.form} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create session'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
