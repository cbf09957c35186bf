import type { Checkpoint, Session } from '@longhand/protocol';
import { useEffect, useRef, useState } from 'react';
import { describeError } from '../../api/api-error.js';
import { navigate } from '../../router/router.js';
import { useApi } from '../../state/api-context.js';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';
import { Field, FormMessage } from '../../ui/field.js';
import { errorsFrom, useFocusOnErrors, type FormErrors } from '../../ui/form-errors.js';
import { formatTime } from '../../ui/format.js';
import { triggerLabel } from './checkpoint-text.js';

const NO_ERRORS: FormErrors = { fields: {} };

function CheckpointFacts({ checkpoint }: { checkpoint: Checkpoint }) {
  return (
    <p className="muted">
      <code>{checkpoint.id}</code> · {triggerLabel(checkpoint.trigger)} · event #{checkpoint.seq} · {formatTime(checkpoint.created_at)}
    </p>
  );
}

/**
 * Asks for the title of a fork of `session` at `checkpoint` (open while it is set), creates the
 * fork and goes to it. The title is optional: the server keeps the parent's when none is sent.
 * A refusal is shown under the field it names, or under the form.
 */
export function ForkDialog({ session, checkpoint, onClose }: { session: Session; checkpoint: Checkpoint | undefined; onClose: () => void }) {
  const { api } = useApi();
  const [title, setTitle] = useState('');
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const form = useRef<HTMLFormElement>(null);
  useFocusOnErrors(form, errors);
  useEffect(() => {
    setTitle('');
    setErrors(NO_ERRORS);
    // The dialog (a child) has opened by now: the title is what the person came to type.
    if (checkpoint) form.current?.querySelector('input')?.focus();
  }, [checkpoint]);

  const fork = async () => {
    if (!checkpoint || busy) return;
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      const created = await api.sessions.fork(session.id, { checkpoint_id: checkpoint.id, ...(title.trim() ? { title: title.trim() } : {}) });
      onClose();
      navigate(`/sessions/${created.id}`);
    } catch (error) {
      setErrors(errorsFrom(error, ['title']));
    } finally {
      setBusy(false);
    }
  };

  return (
    <ConfirmDialog open={checkpoint !== undefined} title="Fork from this checkpoint?" confirmLabel="Create fork" busy={busy} onConfirm={() => void fork()} onCancel={onClose}>
      {checkpoint && <CheckpointFacts checkpoint={checkpoint} />}
      <p>
        A new session starts with this session's events up to event #{checkpoint?.seq} and its files exactly as they were then. This session is not
        changed, and the two go on independently.
      </p>
      <form
        ref={form}
        onSubmit={(event) => {
          event.preventDefault();
          void fork();
        }}
      >
        <Field id="fork-title" label="Title of the new session (optional)" hint={`Left empty, the fork keeps this session's title${session.title ? ` (“${session.title}”)` : ''}.`} error={errors.fields.title}>
          {(props) => <input {...props} value={title} onChange={(event) => setTitle(event.target.value)} autoComplete="off" />}
        </Field>
        <FormMessage error={errors.form} />
      </form>
    </ConfirmDialog>
  );
}

/**
 * Confirms a restore of `sessionId` to `checkpoint` (open while it is set), explaining what
 * goes back and what stays. `blocker` says why it cannot be done now (the agent is working);
 * the confirm button then waits. A refusal by the server is shown in the dialog.
 */
export function RestoreDialog({
  sessionId,
  checkpoint,
  blocker,
  onClose,
  onRestored,
}: {
  sessionId: string;
  checkpoint: Checkpoint | undefined;
  blocker: string | undefined;
  onClose: () => void;
  onRestored: (checkpoint: Checkpoint) => void;
}) {
  const { api } = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => setError(undefined), [checkpoint]);

  const restore = async () => {
    if (!checkpoint || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      await api.sessions.restore(sessionId, checkpoint.id);
      onRestored(checkpoint);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <ConfirmDialog open={checkpoint !== undefined} title="Restore the session to this checkpoint?" confirmLabel="Restore session" danger busy={busy} disabled={blocker !== undefined} onConfirm={() => void restore()} onCancel={onClose}>
      {checkpoint && <CheckpointFacts checkpoint={checkpoint} />}
      <p>
        The session's files go back to how they were at event #{checkpoint?.seq}, and so does the model's view of the conversation: from now on the agent
        sees the conversation up to that point, then what comes after the restore.
      </p>
      <p>
        Files written since then leave the workspace (fork or take a checkpoint first to keep them). Nothing leaves the log: the timeline keeps every
        event and records the restore, and usage keeps counting what was spent.
      </p>
      {checkpoint && blocker && (
        <p className="form-note" role="status">
          {blocker}
        </p>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </ConfirmDialog>
  );
}
