import type { SessionEvent } from '@longhand/protocol';
import { useState } from 'react';
import { describeError } from '../../api/api-error.js';
import type { ClientEvent } from '../../api/resources.js';
import type { PendingActions } from './session-facts.js';
import type { ToolUseEvent } from './timeline-rows.js';

type Send = (events: ClientEvent[]) => Promise<SessionEvent[]>;

/** The call's input on one line (the timeline card shows it in full). */
function oneLine(input: unknown): string {
  const text = JSON.stringify(input) ?? '';
  return text.length > 240 ? `${text.slice(0, 240)}…` : text;
}

function Confirmation({ use, send }: { use: ToolUseEvent; send: Send }) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const answer = async (result: 'allow' | 'deny') => {
    setBusy(true);
    setError(undefined);
    try {
      await send([{ type: 'user.tool_confirmation', tool_use_id: use.id, result, ...(result === 'deny' && reason.trim() ? { deny_message: reason.trim() } : {}) }]);
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  };
  const reasonId = `deny-${use.id}`;
  return (
    <section className="pending-item" aria-label={`Confirm ${use.name}`} data-tool-use-id={use.id}>
      <h3>
        Allow <code>{use.name}</code>?
      </h3>
      <p className="pending-input">
        <code>{oneLine(use.input)}</code>
      </p>
      <label htmlFor={reasonId}>Reason, if you deny (sent to the agent)</label>
      <input id={reasonId} value={reason} onChange={(event) => setReason(event.target.value)} disabled={busy} />
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="button" className="primary" onClick={() => void answer('allow')} disabled={busy}>
          Approve
        </button>
        <button type="button" className="danger" onClick={() => void answer('deny')} disabled={busy}>
          Deny
        </button>
      </div>
    </section>
  );
}

function CustomCall({ use, send }: { use: ToolUseEvent; send: Send }) {
  const [text, setText] = useState('{\n  \n}');
  const [isError, setIsError] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const fieldId = `result-${use.id}`;
  const submit = async () => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (failure) {
      setError(`The result must be JSON: ${(failure as Error).message}`);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await send([
        { type: 'user.custom_tool_result', custom_tool_use_id: use.id, content: [{ type: 'text', text: JSON.stringify(parsed) }], ...(isError ? { is_error: true } : {}) },
      ]);
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  };
  return (
    <section className="pending-item" aria-label={`Answer ${use.name}`} data-tool-use-id={use.id}>
      <h3>
        Answer <code>{use.name}</code>
      </h3>
      <p className="pending-input">
        <code>{oneLine(use.input)}</code>
      </p>
      <label htmlFor={fieldId}>Result (JSON)</label>
      <textarea
        id={fieldId}
        rows={4}
        className="mono"
        value={text}
        onChange={(event) => setText(event.target.value)}
        disabled={busy}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${fieldId}-error` : undefined}
      />
      {error && (
        <p className="field-error" id={`${fieldId}-error`} role="alert">
          {error}
        </p>
      )}
      <label className="check">
        <input type="checkbox" checked={isError} onChange={(event) => setIsError(event.target.checked)} disabled={busy} /> Report it as an error
      </label>
      <div className="actions">
        <button type="button" className="primary" onClick={() => void submit()} disabled={busy}>
          Send result
        </button>
      </div>
    </section>
  );
}

/** The tool calls waiting for the person at the console, each with its answer form. */
export function PendingPanel({ pending, send }: { pending: PendingActions; send: Send }) {
  const count = pending.confirmations.length + pending.customCalls.length;
  if (count === 0) return null;
  return (
    <section className="pending" aria-labelledby="pending-title">
      <h2 id="pending-title">Waiting for you ({count})</h2>
      <div className="pending-list">
        {pending.confirmations.map((use) => (
          <Confirmation key={use.id} use={use} send={send} />
        ))}
        {pending.customCalls.map((use) => (
          <CustomCall key={use.id} use={use} send={send} />
        ))}
      </div>
    </section>
  );
}
