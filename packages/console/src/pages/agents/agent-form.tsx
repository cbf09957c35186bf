import type { Agent } from '@longhand/protocol';
import { useRef, useState, type FormEvent } from 'react';
import { navigate } from '../../router/router.js';
import { useApi } from '../../state/api-context.js';
import { Field, FormMessage, type FieldControlProps } from '../../ui/field.js';
import { errorsFrom, useFocusOnErrors, type FormErrors } from '../../ui/form-errors.js';
import { jsonText, metadataPatch, readJson } from '../../ui/json-field.js';

/** Fields of the form, by the path the API names them with. */
const FIELDS = ['name', 'model', 'description', 'system', 'tools', 'mcp_servers', 'skills', 'metadata', 'multiagent', 'execution_identity'];

const MODELS = ['claude-opus-4-6', 'claude-sonnet-4-6', 'claude-haiku-4-5', 'claude-opus-4-5', 'claude-sonnet-4-5'];

const TOOLSET = {
  type: 'agent_toolset_20260401',
  default_config: { enabled: true, permission_policy: { type: 'always_allow' } },
  configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }],
};
const CUSTOM_TOOL = {
  type: 'custom',
  name: 'my_tool',
  description: 'What the tool does, for the model',
  input_schema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
};

/**
 * Creates an agent, or edits one (each saved change makes a new version). Lists and objects
 * are edited as JSON; an error the API reports is shown next to the field its path names
 * (`tools[0].configs[1].name …` goes to Tools).
 */
export function AgentForm({ agent }: { agent?: Agent }) {
  const { api } = useApi();
  const form = useRef<HTMLFormElement>(null);
  const [name, setName] = useState(agent?.name ?? '');
  const [model, setModel] = useState(agent?.model.id ?? 'claude-sonnet-4-6');
  const [description, setDescription] = useState(agent?.description ?? '');
  const [system, setSystem] = useState(agent?.system ?? '');
  const [tools, setTools] = useState(agent ? jsonText(agent.tools) : jsonText([TOOLSET]));
  const [mcpServers, setMcpServers] = useState(agent ? jsonText(agent.mcp_servers) : '[]');
  const [skills, setSkills] = useState(agent ? jsonText(agent.skills) : '[]');
  const [metadata, setMetadata] = useState(agent ? jsonText(agent.metadata) : '{}');
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [busy, setBusy] = useState(false);
  useFocusOnErrors(form, errors);

  const addTool = (tool: object) => {
    const current = readJson<unknown[]>(tools, 'array', []);
    setTools(jsonText([...(current.ok ? current.value : []), tool]));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (!name.trim()) local.name = 'An agent needs a name.';
    if (!model.trim()) local.model = 'Choose a model.';
    const parsedTools = readJson<unknown[]>(tools, 'array', []);
    const parsedServers = readJson<unknown[]>(mcpServers, 'array', []);
    const parsedSkills = readJson<unknown[]>(skills, 'array', []);
    const parsedMetadata = readJson<Record<string, string>>(metadata, 'object', {});
    if (!parsedTools.ok) local.tools = parsedTools.error;
    if (!parsedServers.ok) local.mcp_servers = parsedServers.error;
    if (!parsedSkills.ok) local.skills = parsedSkills.error;
    if (!parsedMetadata.ok) local.metadata = parsedMetadata.error;
    if (Object.keys(local).length > 0 || !parsedTools.ok || !parsedServers.ok || !parsedSkills.ok || !parsedMetadata.ok) {
      setErrors({ fields: local });
      return;
    }
    const body: Record<string, unknown> = {
      name: name.trim(),
      tools: parsedTools.value,
      mcp_servers: parsedServers.value,
      skills: parsedSkills.value,
    };
    if (agent) {
      body.version = agent.version;
      if (model.trim() !== agent.model.id) body.model = model.trim();
      body.description = description.trim() === '' ? null : description;
      body.system = system.trim() === '' ? null : system;
      const patch = metadataPatch(agent.metadata, parsedMetadata.value);
      if (Object.keys(patch).length > 0) body.metadata = patch;
    } else {
      body.model = model.trim();
      if (description.trim()) body.description = description;
      if (system.trim()) body.system = system;
      if (Object.keys(parsedMetadata.value).length > 0) body.metadata = parsedMetadata.value;
    }
    setBusy(true);
    setErrors({ fields: {} });
    try {
      const saved = agent ? await api.agents.update(agent.id, body) : await api.agents.create(body);
      navigate(`/agents/${saved.id}`);
    } catch (error) {
      setErrors(errorsFrom(error, FIELDS));
      setBusy(false);
    }
  };

  const json = (value: string, set: (text: string) => void, rows: number) => (props: FieldControlProps) => (
    <textarea {...props} className="mono" rows={rows} spellCheck={false} value={value} onChange={(event) => set(event.target.value)} />
  );

  return (
    <form ref={form} className="form" onSubmit={(event) => void submit(event)} noValidate aria-label={agent ? `Edit ${agent.name}` : 'New agent'}>
      <div className="form-grid">
        <Field id="agent-name" label="Name" error={errors.fields.name}>
          {(props) => <input {...props} value={name} onChange={(event) => setName(event.target.value)} autoComplete="off" required />}
        </Field>
        <Field id="agent-model" label="Model" error={errors.fields.model} hint="A model id; the server routes it to a provider.">
          {(props) => (
            <>
              <input {...props} list="agent-model-options" value={model} onChange={(event) => setModel(event.target.value)} autoComplete="off" required />
              <datalist id="agent-model-options">
                {MODELS.map((id) => (
                  <option key={id} value={id} />
                ))}
              </datalist>
            </>
          )}
        </Field>
      </div>
      <Field id="agent-description" label="Description" error={errors.fields.description}>
        {(props) => <textarea {...props} rows={2} value={description} onChange={(event) => setDescription(event.target.value)} />}
      </Field>
      <Field id="agent-system" label="System prompt" error={errors.fields.system}>
        {(props) => <textarea {...props} rows={6} value={system} onChange={(event) => setSystem(event.target.value)} />}
      </Field>
      <Field
        id="agent-tools"
        label="Tools (JSON list)"
        error={errors.fields.tools}
        hint={
          <>
            The built-in toolset, MCP toolsets and custom tools.{' '}
            <button type="button" className="link-button" onClick={() => addTool(TOOLSET)}>Add the built-in toolset</button> ·{' '}
            <button type="button" className="link-button" onClick={() => addTool(CUSTOM_TOOL)}>Add a custom tool</button>
          </>
        }
      >
        {json(tools, setTools, 12)}
      </Field>
      <div className="form-grid">
        <Field id="agent-mcp" label="MCP servers (JSON list)" error={errors.fields.mcp_servers}>
          {json(mcpServers, setMcpServers, 4)}
        </Field>
        <Field id="agent-skills" label="Skills (JSON list)" error={errors.fields.skills}>
          {json(skills, setSkills, 4)}
        </Field>
      </div>
      <Field id="agent-metadata" label="Metadata (JSON object of strings)" error={errors.fields.metadata}>
        {json(metadata, setMetadata, 3)}
      </Field>
      {(errors.fields.multiagent || errors.fields.execution_identity) && <FormMessage error={errors.fields.multiagent ?? errors.fields.execution_identity} />}
      <FormMessage error={errors.form} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : agent ? `Save as version ${agent.version + 1}` : 'Create agent'}
        </button>
        <button type="button" onClick={() => navigate(agent ? `/agents/${agent.id}` : '/agents')}>
          Cancel
        </button>
      </div>
    </form>
  );
}
